import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEnv } from '../support/engine-env.js';
import { connectedDevice, inboundChat, messageRow, sendsOf, startOutboxEnv, type Device } from './outbox-env.js';

let env: EngineEnv;
let d: Device;
let chatId: number;

beforeAll(async () => {
  env = await startOutboxEnv();
  d = await connectedDevice(env, 'waha');
  chatId = (await inboundChat(env, d, '+4915110000009')).chatId;
});
afterAll(() => env.close());

describe('outbox at shutdown', () => {
  it('when a send is answered just before the background work stops, then it is not delivered after the stop (its lease is left to run out), and it stays pending', async () => {
    const owner = await env.t.db('users').where({ id: env.owner.id }).first();
    const text = `at shutdown ${randomUUID()}`;
    // The answer schedules the delivery of the send it wrote already leased; stopping comes first.
    const sent = await env.t.services.outbox.sendToChat({ id: owner.id, orgId: owner.org_id, email: owner.email, name: owner.name, role: owner.role }, chatId, { clientId: randomUUID(), text });
    await env.t.services.background.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(await sendsOf(env, d, text)).toHaveLength(0);
    const row = await messageRow(env, sent.message.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now()); // a claim takes it once the lease runs out
  });
});
