import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { Api } from '../src/platform/http/api.js';
import { createRegistry } from '../src/platform/openapi.js';
import { errorHandler } from '../src/platform/errors.js';

/** The test harness turns response checking on (test-app.ts); this shows it bites, and stays off otherwise. */
async function serve(validateResponses: boolean) {
  const api = new Api(createRegistry(), { authenticate: (_req, _res, next) => next(), validateResponses });
  const schema = z.object({ id: z.number(), name: z.string() });
  api.route({ method: 'get', path: '/ok', summary: 'ok', tags: [], auth: 'public', response: schema }, () => ({ id: 1, name: 'a', extra: true }));
  api.route({ method: 'get', path: '/bad', summary: 'bad', tags: [], auth: 'public', response: schema }, () => ({ id: '1' }));
  const app = express().use(api.router).use(errorHandler);
  const server = await new Promise<ReturnType<typeof createServer>>((r) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => r(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { get: (p: string) => fetch(base + p).then(async (r) => ({ status: r.status, body: await r.json() })), close: () => new Promise((r) => server.close(r)) };
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

  it('when checking is off (production), then the answer goes out unchecked', async () => {
    const s = await serve(false);
    try {
      expect((await s.get('/bad')).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
