// Every webhook the simulator emits validates against the loosened WAHA OpenAPI document.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSim, loadWahaContract, startSimulator } from '../src/index.js';
import { control, parseJson, waha } from './support/clients.js';
import { type Receiver, startReceiver, until } from './support/receiver.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const contractFile = path.resolve(repoRoot, '..', 'shared', 'contracts', 'waha-openapi-2026.7.1.json');
const present = existsSync(contractFile);

describe.skipIf(!present)('WAHA contract (loosened OpenAPI 2026.7.1)', () => {
  const contract = present ? loadWahaContract(contractFile)! : null!;
  let sim: RunningSim;
  let hook: Receiver;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, qrRotateMs: 100, webhookRetry: { attempts: 2, delayMs: 10 } });
    hook = await startReceiver();
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });

  it('when the simulator emits every kind of webhook, then each validates against its WAHAWebhook schema', async () => {
    await waha(sim).post('/api/sessions', {
      name: 'c1', start: true,
      config: { metadata: { a: 'b' }, webhooks: [{ url: `${hook.url}/c1`, events: ['*'], hmac: { key: 'x' } }], noweb: { store: { enabled: true, fullSync: true } } },
    });
    await until(async () => (await waha(sim).get('/api/sessions/c1')).body.status === 'SCAN_QR_CODE');
    await control(sim).post('/sessions/c1/scan');
    const inbound = await control(sim).post('/sessions/c1/inbound', { from: '15550001000', body: 'hi', pushName: 'P' });
    await control(sim).post('/sessions/c1/inbound', { from: '15550001001', body: 'lid', lid: true });
    await control(sim).post('/sessions/c1/inbound', { from: '15550001002', body: 'grp', group: true });
    await control(sim).post('/sessions/c1/inbound', { from: '15550001003', body: 'media', media: { mimetype: 'application/pdf', filename: 'a.pdf', data: 'AAAA' } });
    const sent = await waha(sim).post('/api/sendText', { session: 'c1', chatId: '15550001000@c.us', text: 'out' });
    await control(sim).post('/sessions/c1/ack', { messageId: sent.body.id, ack: 2 });
    await control(sim).post('/sessions/c1/ack', { messageId: inbound.body.id, ack: 'READ' });
    await waha(sim).post('/api/sessions/c1/logout');
    await until(() => hook.received.filter((r) => parseJson(r.raw).event === 'message.ack').length === 2);
    await sim.webhooksIdle();

    const bodies = hook.received.map((r) => parseJson(r.raw));
    const kinds = new Set(bodies.map((b) => b.event));
    expect([...kinds].sort()).toEqual(['message', 'message.ack', 'message.any', 'session.status']);
    for (const b of bodies) {
      const r = contract.validateWebhook(b);
      expect(r.errors, `${b.event}: ${r.errors.join('; ')}`).toEqual([]);
    }
    // Responses where the document declares them.
    expect(contract.validateResponse('post', '/api/sendText', 201, sent.body).errors).toEqual([]);
    const list = await waha(sim).get('/api/sessions?all=true');
    expect(contract.validateResponse('get', '/api/sessions', 200, list.body).errors).toEqual([]);
  });

  it('when a payload has a wrong type, then validation fails', () => {
    const good = { id: 'evt_01', timestamp: 1, event: 'message', session: 's', payload: { id: 'x', timestamp: 1, from: 'a@c.us', fromMe: false, media: null } };
    expect(contract.validateWebhook(good).ok).toBe(true);
    expect(contract.validateWebhook({ ...good, payload: { ...good.payload, fromMe: 'no' } }).ok).toBe(false);
    expect(contract.validateWebhook({ ...good, timestamp: 'yesterday' }).ok).toBe(false);
    expect(contract.validate('WAMessageAckBody', { id: 'x', ack: 'READ' }).ok).toBe(false);
  });

  it('when a request body misses a required field, then the kept required arrays catch it', () => {
    expect(contract.validate('MessageTextRequest', { session: 's', chatId: '1@c.us', text: 'x' }).ok).toBe(true);
    expect(contract.validate('MessageTextRequest', { session: 's', chatId: '1@c.us' }).ok).toBe(false);
    const create = { name: 'a', start: true, config: { webhooks: [{ url: 'u', events: ['message'], hmac: { key: 'k' } }], noweb: { markOnline: true, store: { enabled: true, fullSync: true } } } };
    expect(contract.validateRequestBody('post', '/api/sessions', create).errors).toEqual([]);
    expect(contract.validateRequestBody('post', '/api/sessions', { ...create, start: 'yes' }).ok).toBe(false);
  });
});
