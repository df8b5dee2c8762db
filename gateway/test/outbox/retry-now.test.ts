import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, type EngineEnv } from '../support/engine-env.js';
import { connectedDevice, faults, inboundChat, messageRow, sendsOf, startOutboxEnv, waitStatus, type Device } from './outbox-env.js';

/**
 * A send's visible states: pending → retrying (lastError, nextAttemptAt) → sent, or failed; and
 * "Retry now" (POST /api/messages/:id/retry), which never sends twice. The backoff here is a
 * minute, so only "Retry now" can bring a retrying message out within the test.
 */
let env: EngineEnv;
let waha: Device;
let chatId: number;
let phones = 0;
beforeAll(async () => {
  env = await startOutboxEnv({ OUTBOX_RETRY_BASE_MS: '60000', OUTBOX_MAX_ATTEMPTS: '5' });
  waha = await connectedDevice(env, 'waha');
});
// A chat's sends go out in order: each case gets its own chat, so a message left retrying holds none back.
beforeEach(async () => {
  chatId = (await inboundChat(env, waha, `+49151200000${String(++phones).padStart(2, '0')}`)).chatId;
});
afterAll(() => env.close());

const send = (text: string, clientId = randomUUID()) => env.http.post(`/api/chats/${chatId}/messages`, { token: env.owner.token, body: { clientId, text } });
const retry = (id: number) => env.http.post(`/api/messages/${id}/retry`, { token: env.owner.token });
const shown = async (id: number) => (await env.http.get(`/api/messages/${id}`, { token: env.owner.token })).body;

describe('send states and retry now', () => {
  it('when the engine is down, then after the first failed attempt the message is retrying with the reason and the next attempt time, pushed as an event', async () => {
    await faults(env, { down: true });
    try {
      const r = await send(`down ${randomUUID()}`);
      expect(r.body.status).toBe('pending');
      const m = await eventually(async () => {
        const x = await shown(r.body.id);
        return x.status === 'retrying' ? x : undefined;
      }, 5_000, 'retrying');
      expect(m.lastError).toMatch(/engine_unreachable/);
      expect(m.error).toBe(m.lastError);
      expect(Date.parse(m.nextAttemptAt)).toBeGreaterThan(Date.now() + 20_000);
      const ev = await env.t.db('events').where({ type: 'message.updated' }).whereRaw(`(data->>'id')::bigint = ?`, [r.body.id]).orderBy('id', 'desc').first();
      expect(ev.data).toMatchObject({ status: 'retrying', lastError: expect.stringMatching(/engine_unreachable/) });
      const log = await env.http.get(`/api/messages?status=retrying&chatId=${chatId}`, { token: env.owner.token });
      expect(log.body.items.map((x: { id: number }) => x.id)).toContain(r.body.id);
    } finally {
      await faults(env, { down: false });
    }
  });

  it('when Retry now is pressed (three times at once) after the engine is back, then it goes out at once and exactly once', async () => {
    const text = `hurry ${randomUUID()}`;
    await faults(env, { down: true });
    let id: number;
    try {
      id = (await send(text)).body.id;
      await eventually(async () => ((await messageRow(env, id)).error ? true : undefined), 5_000, 'first failure');
    } finally {
      await faults(env, { down: false });
    }
    const answers = await Promise.all([retry(id), retry(id), retry(id)]);
    for (const a of answers) expect([202, 409]).toContain(a.status);
    expect(answers.some((a) => a.status === 202)).toBe(true);
    const sent = await waitStatus(env, id, 'sent', 5_000); // the backoff alone would wait a minute
    expect(sent.error).toBeNull();
    expect(sent.in_flight).toBe(false);
    expect((await retry(id)).body.error.code).toBe('not_failed');
    await env.sim.webhooksIdle(5_000);
    await new Promise((res) => setTimeout(res, 150));
    expect(await sendsOf(env, waha, text)).toHaveLength(1);
    expect(await env.t.db('messages').where({ chat_id: chatId, body: text })).toHaveLength(1);
  });

  it('when Retry now meets an attempt that is out, then nothing is hurried and the answer is the message as it is', async () => {
    const text = `in flight ${randomUUID()}`;
    await faults(env, { latencyMs: 800 });
    try {
      const r = await send(text);
      await eventually(async () => ((await messageRow(env, r.body.id)).in_flight ? true : undefined), 3_000, 'attempt out');
      const a = await retry(r.body.id);
      expect(a.status).toBe(202);
      expect(a.body.status).toBe('pending');
      await waitStatus(env, r.body.id, 'sent', 5_000);
      expect((await messageRow(env, r.body.id)).attempts).toBe(1);
    } finally {
      await faults(env, { latencyMs: 0 });
    }
    await env.sim.webhooksIdle(5_000);
    expect(await sendsOf(env, waha, text)).toHaveLength(1);
  });

  it('when the engine refuses the send itself (400), then the message is failed after one attempt with the engine’s reason', async () => {
    const [lidChat] = await env.t.db('chats')
      .insert({ org_id: (await env.t.db('devices').where({ id: waha.id }).first()).org_id, device_id: waha.id, jid: '987654321012345@lid', name: 'Unknown LID' })
      .returning('id');
    const r = await env.http.post(`/api/chats/${lidChat.id}/messages`, { token: env.owner.token, body: { clientId: randomUUID(), text: 'nobody' } });
    expect(r.status).toBe(202);
    const failed = await waitStatus(env, r.body.id, 'failed', 5_000);
    expect(failed.attempts).toBe(1);
    const m = await shown(r.body.id);
    expect(m).toMatchObject({ status: 'failed', nextAttemptAt: null, lastError: expect.stringMatching(/engine_rejected.*400/) });
  });
});

describe('a send moves its chat', () => {
  it('when a text is sent, then a chat.updated with its preview, time and last message id is pushed like an incoming message’s', async () => {
    const text = `moves the list ${randomUUID()}`;
    const r = await send(text);
    expect(r.status).toBe(202);
    const ev = await env.t.db('events').where({ type: 'chat.updated', chat_id: chatId }).orderBy('id', 'desc').first();
    expect(ev.data).toMatchObject({ id: chatId, lastMessagePreview: text, lastMessageId: r.body.id, lastMessageAt: r.body.sentAt, deviceId: waha.id });
    const created = await env.t.db('events').where({ type: 'message.created', chat_id: chatId }).orderBy('id', 'desc').first();
    expect(Number(created.data.id)).toBe(r.body.id);
  });
});
