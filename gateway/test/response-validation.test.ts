import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { Api, errorShapeGuard } from '../src/platform/http/api.js';
import { AppError } from '../src/platform/errors.js';
import { createRegistry } from '../src/platform/openapi.js';
import { errorHandler } from '../src/platform/errors.js';
import { checkedEventFrame, eventFrame } from '../src/features/realtime/realtime.frames.js';
import type { EventRow } from '../src/features/realtime/realtime.repository.js';

/** The test harness turns response checking on (test-app.ts); this shows it bites, and stays off otherwise. */
async function serve(validateResponses: boolean) {
  const api = new Api(createRegistry(), { authenticate: (_req, _res, next) => next(), validateResponses });
  const schema = z.object({ id: z.number(), name: z.string() });
  api.route({ method: 'get', path: '/ok', summary: 'ok', tags: [], auth: 'public', response: schema }, () => ({ id: 1, name: 'a', extra: true }));
  api.route({ method: 'get', path: '/bad', summary: 'bad', tags: [], auth: 'public', response: schema }, () => ({ id: '1' }));
  api.route({ method: 'get', path: '/things/:id', summary: 'documented 404', tags: [], auth: 'public', response: schema }, () => {
    throw new AppError('not_found', 404, 'Thing not found');
  });
  api.route({ method: 'get', path: '/conflict', summary: 'undocumented 409', tags: [], auth: 'public', response: schema }, () => {
    throw new AppError('taken', 409, 'Taken');
  });
  api.route({ method: 'get', path: '/teapot', summary: 'documented 418, raw body', tags: [], auth: 'public', response: schema, responses: { 418: 'Teapot' } }, ({ res }) => {
    res.status(418).type('text').send('short and stout');
  });
  const app = express();
  if (validateResponses) app.use(errorShapeGuard);
  app.use(api.router).use(errorHandler);
  const server = await new Promise<ReturnType<typeof createServer>>((r) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => r(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { get: (p: string) => fetch(base + p).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) })), close: () => new Promise((r) => server.close(r)) };
}

describe('response schemas in tests', () => {
  it('when a route answers outside its schema with checking on, then it is a 500 naming the fields; a conforming answer passes', async () => {
    const s = await serve(true);
    try {
      expect((await s.get('/ok')).status).toBe(200);
      const bad = await s.get('/bad');
      expect(bad.status).toBe(500);
      expect(bad.body.error.code).toBe('response_schema_mismatch');
      expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['id', 'name']);
    } finally {
      await s.close();
    }
  });

  it('when an error answer is outside the error shape or its status is not documented by its route, then it is a 500 error_schema_mismatch saying so; a documented error in the shape passes', async () => {
    const s = await serve(true);
    try {
      const found = await s.get('/things/1');
      expect(found.status).toBe(404);
      expect(found.body).toEqual({ error: { code: 'not_found', message: 'Thing not found' } });
      const conflict = await s.get('/conflict');
      expect(conflict.status).toBe(500);
      expect(conflict.body.error.code).toBe('error_schema_mismatch');
      expect(conflict.body.error.message).toMatch(/answered 409, a status its route does not document/);
      const teapot = await s.get('/teapot');
      expect(teapot.status).toBe(500);
      expect(teapot.body.error.message).toMatch(/answered 418 without a JSON body/);
    } finally {
      await s.close();
    }
  });

  it('when checking is off (production), then the answer goes out unchecked', async () => {
    const s = await serve(false);
    try {
      expect((await s.get('/bad')).status).toBe(200);
      expect((await s.get('/conflict')).status).toBe(409);
    } finally {
      await s.close();
    }
  });
});

describe('socket events in tests', () => {
  const row = (type: EventRow['type'], data: unknown): EventRow => ({ id: 7, org_id: 'o', device_id: null, chat_id: null, type, data: JSON.stringify(data) });
  const contact = { id: '0b9f3c1e-4a57-4a43-9b7e-1f2d3c4b5a69', name: 'Ana', phone: '+4915100000001', deleted: false };

  it('when an event is outside the RealtimeEvent schema, then it goes out as an error frame naming the fields and is reported; a conforming one goes out as is', () => {
    const reported: string[] = [];
    const frame = checkedEventFrame((_e, message) => reported.push(message));
    expect(frame(row('contact.updated', contact))).toEqual(eventFrame(row('contact.updated', contact)));
    expect(reported).toEqual([]);
    const revoked = { chatId: 3, granteeId: contact.id, revokedBy: contact.id };
    expect(frame(row('share.revoked', revoked))).toEqual(eventFrame(row('share.revoked', revoked)));
    const bad = frame(row('share.revoked', { ...revoked, chatId: '3', revokedBy: undefined })).toString('utf8');
    expect(bad).toContain('"type":"error"');
    expect(bad).toContain('event_schema_mismatch');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/share\.revoked #7 .*data\.chatId.*data\.revokedBy/);
    // A payload that is a union (one contact, or a bulk change) is told by its closest member.
    frame(row('contact.updated', { id: contact.id, name: 'Ana' }));
    expect(reported[1]).toMatch(/contact\.updated #7 .*data\.phone.*data\.deleted/);
  });
});
