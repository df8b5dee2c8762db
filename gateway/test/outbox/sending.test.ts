import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, control, type EngineEnv } from '../support/engine-env.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { connectedDevice, faults, inboundChat, messageRow, sendsOf, sentBy, startOutboxEnv, waitStatus, type Device } from './outbox-env.js';

let env: EngineEnv;
let waha: Device;
let wuz: Device;
let wahaChat: number;
let wuzChat: number;
let inbound: { waha: { messageId: number; engineId: string }; wuz: { messageId: number; engineId: string } };

beforeAll(async () => {
  env = await startOutboxEnv();
  [waha, wuz] = await Promise.all([connectedDevice(env, 'waha'), connectedDevice(env, 'wuzapi')]);
  const [a, b] = await Promise.all([inboundChat(env, waha, '+4915110000001'), inboundChat(env, wuz, '+4915110000002')]);
  wahaChat = a.chatId;
  wuzChat = b.chatId;
  inbound = { waha: a, wuz: b };
});
afterAll(() => env.close());

const send = (chatId: number, body: Record<string, unknown>, token = env.owner.token) => env.http.post(`/api/chats/${chatId}/messages`, { token, body });
const rowsWithBody = async (chatId: number, body: string) => env.t.db('messages').where({ chat_id: chatId, body });

describe('sending through the outbox', () => {
  it.each([
    ['waha', () => [waha, wahaChat] as const],
    ['wuzapi', () => [wuz, wuzChat] as const],
  ])('when a text is sent on %s, then it answers 202 pending, goes out once and ends as one sent row with the engine id', async (_e, pick) => {
    const [d, chatId] = pick();
    const text = `hello ${randomUUID()}`;
    const r = await send(chatId, { clientId: randomUUID(), text });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ chatId, direction: 'out', status: 'pending', body: text, type: 'text' });
    const sent = await waitStatus(env, r.body.id, 'sent');
    await env.sim.webhooksIdle(5_000);
    await new Promise((res) => setTimeout(res, 100)); // let an echo (WAHA) land
    const sends = await sendsOf(env, d, text);
    expect(sends).toHaveLength(1);
    expect(String(sends[0]!.messageId)).toContain(sent.engine_message_id);
    expect(await rowsWithBody(chatId, text)).toHaveLength(1);
    const chat = await env.t.db('chats').where({ id: chatId }).first();
    expect(Number(chat.last_message_id)).toBe(r.body.id);
    const created = await env.t.db('events').where({ type: 'message.created' }).whereRaw(`(data->>'id')::bigint = ?`, [r.body.id]).first();
    expect(created.data).toMatchObject({ id: r.body.id, deviceId: d.id, status: 'pending', clientId: r.body.clientId });
  });

  it.each([
    ['waha', () => [waha, wahaChat] as const],
    ['wuzapi', () => [wuz, wuzChat] as const],
  ])('when sends to one chat follow each other faster than the %s engine answers, then they go out once each, in the order they were answered', async (_e, pick) => {
    const [d, chatId] = pick();
    const run = randomUUID().slice(0, 8);
    const texts = Array.from({ length: 12 }, (_, i) => `in order ${run} ${String(i).padStart(2, '0')}`);
    const ids: number[] = [];
    const other = await inboundChat(env, d, `+49151${Math.floor(Math.random() * 1e7)}`);
    await faults(env, { latencyMs: 40 }); // each send takes longer than the next POST
    try {
      for (const text of texts) ids.push((await send(chatId, { clientId: randomUUID(), text })).body.id);
      // Another chat's send does not queue behind this chat's.
      const aside = await send(other.chatId, { clientId: randomUUID(), text: `aside ${run}` });
      await waitStatus(env, aside.body.id, 'sent');
      expect((await messageRow(env, ids.at(-1)!)).status).toBe('pending');
      for (const id of ids) await waitStatus(env, id, 'sent');
    } finally {
      await faults(env, { latencyMs: 0 });
    }
    const sent = (await sentBy(env, d)).map((s) => String(s.request.text ?? s.request.Body)).filter((t) => t.startsWith(`in order ${run}`));
    expect(sent).toEqual(texts);
    const rows = await env.t.db('messages').whereIn('id', ids).orderBy('id');
    expect(rows.map((r) => [r.attempts, r.next_attempt_at, r.send_uncertain])).toEqual(ids.map(() => [1, null, false]));
  });

  it('when the same clientId is sent twice (at once and again later), then both answers are the same message and the engine sends once', async () => {
    const clientId = randomUUID();
    const text = `twice ${clientId}`;
    const [a, b] = await Promise.all([send(wahaChat, { clientId, text }), send(wahaChat, { clientId, text })]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body.id).toBe(b.body.id);
    await waitStatus(env, a.body.id, 'sent');
    const c = await send(wahaChat, { clientId, text });
    expect(c.status).toBe(200);
    expect(c.body.id).toBe(a.body.id);
    expect(c.body.status).toBe('sent');
    await env.sim.webhooksIdle(5_000);
    expect(await sendsOf(env, waha, text)).toHaveLength(1);
    expect(await rowsWithBody(wahaChat, text)).toHaveLength(1);
  });

  it.each([
    ['waha', () => [waha, wahaChat] as const],
    ['wuzapi', () => [wuz, wuzChat] as const],
  ])('when the %s engine is down during a send, then the message stays pending and is delivered exactly once after it returns', async (_e, pick) => {
    const [d, chatId] = pick();
    const text = `outage ${randomUUID()}`;
    await faults(env, { down: true });
    try {
      const r = await send(chatId, { clientId: randomUUID(), text });
      expect(r.status).toBe(202);
      await eventually(async () => ((await messageRow(env, r.body.id)).attempts >= 2 ? true : undefined), 5_000, 'two failed attempts');
      const during = await messageRow(env, r.body.id);
      expect(during.status).toBe('pending');
      expect(during.error).toMatch(/engine_unreachable/);
      await faults(env, { down: false });
      await waitStatus(env, r.body.id, 'sent');
      await env.sim.webhooksIdle(5_000);
      await new Promise((res) => setTimeout(res, 100));
      expect(await sendsOf(env, d, text)).toHaveLength(1);
      expect(await rowsWithBody(chatId, text)).toHaveLength(1);
    } finally {
      await faults(env, { down: false });
    }
  });

  it('when every attempt fails, then the message is failed with the reason, and a retry sends it', async () => {
    const text = `doomed ${randomUUID()}`;
    await faults(env, { down: true });
    let id: number;
    try {
      const r = await send(wahaChat, { clientId: randomUUID(), text });
      id = r.body.id;
      const failed = await waitStatus(env, id, 'failed');
      expect(failed.attempts).toBe(3);
      expect(failed.error).toMatch(/engine_unreachable/);
      const shown = await env.http.get(`/api/messages/${id}`, { token: env.owner.token });
      if (shown.status === 200) expect(shown.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/engine_unreachable/) });
      const ev = await env.t.db('events').where({ type: 'message.updated' }).whereRaw(`(data->>'id')::bigint = ?`, [id]).orderBy('id', 'desc').first();
      expect(ev.data.status).toBe('failed');
    } finally {
      await faults(env, { down: false });
    }
    const retried = await env.http.post(`/api/messages/${id}/retry`, { token: env.owner.token });
    expect(retried.status).toBe(202);
    expect(retried.body.status).toBe('pending');
    await waitStatus(env, id, 'sent');
    expect((await messageRow(env, id)).error).toBeNull();
    expect((await env.http.post(`/api/messages/${id}/retry`, { token: env.owner.token })).body.error.code).toBe('not_failed');
    await env.sim.webhooksIdle(5_000);
    expect(await sendsOf(env, waha, text)).toHaveLength(1);
  });

  it.each([
    ['waha', () => [waha, wahaChat, inbound.waha] as const],
    ['wuzapi', () => [wuz, wuzChat, inbound.wuz] as const],
  ])('when replying on %s, then the engine is told which message is answered', async (engine, pick) => {
    const [d, chatId, target] = pick();
    const text = `reply ${randomUUID()}`;
    const r = await send(chatId, { clientId: randomUUID(), text, replyTo: target.messageId });
    expect(r.status).toBe(202);
    expect(r.body.replyTo).toBe(target.engineId);
    await waitStatus(env, r.body.id, 'sent');
    const [s] = await sendsOf(env, d, text);
    if (engine === 'waha') expect(s!.request.reply_to).toContain(target.engineId);
    else expect(s!.request.ContextInfo.StanzaID).toBe(target.engineId);
  });

  it('when replying to a message of another chat, then 400 and nothing is written', async () => {
    const text = `bad reply ${randomUUID()}`;
    const r = await send(wahaChat, { clientId: randomUUID(), text, replyTo: inbound.wuz.messageId });
    expect(r.status).toBe(400);
    expect(await rowsWithBody(wahaChat, text)).toHaveLength(0);
  });

  it('when a read receipt is followed by a late delivered receipt, then the status stays read', async () => {
    const text = `acks ${randomUUID()}`;
    const r = await send(wuzChat, { clientId: randomUUID(), text });
    const m = await waitStatus(env, r.body.id, 'sent');
    await control(env.sim).post(`/sessions/${wuz.engineSession}/ack`, { body: { messageId: m.engine_message_id, ack: 'READ' } });
    await waitStatus(env, r.body.id, 'read');
    await control(env.sim).post(`/sessions/${wuz.engineSession}/ack`, { body: { messageId: m.engine_message_id, ack: 'DELIVERED' } });
    await env.sim.webhooksIdle(5_000);
    await new Promise((res) => setTimeout(res, 150));
    expect((await messageRow(env, r.body.id)).status).toBe('read');
  });

  it('when a text is empty and no file is given, then 400', async () => {
    const r = await send(wahaChat, { clientId: randomUUID() });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
  });
});

describe('POST /api/messages/send', () => {
  it.each([
    ['+49 151 2345 6789', '4915123456789@s.whatsapp.net'],
    ['0049 (151) 2345-6790', '4915123456790@s.whatsapp.net'],
    ['(202) 555-0143', '12025550143@s.whatsapp.net'],
    ['120363000000000077@g.us', '120363000000000077@g.us'],
  ])('when sending to %s, then the chat %s is used (created if new) and the message goes out', async (to, jid) => {
    const text = `to ${to} ${randomUUID()}`;
    const r = await env.http.post('/api/messages/send', { token: env.owner.token, body: { deviceId: wuz.id, to, text } });
    expect(r.status).toBe(202);
    const chat = await env.t.db('chats').where({ id: r.body.chatId }).first();
    expect(chat).toMatchObject({ device_id: wuz.id, jid, is_group: jid.endsWith('@g.us') });
    await waitStatus(env, r.body.id, 'sent');
    const [s] = await sendsOf(env, wuz, text);
    expect(s!.request.Phone).toBe(jid);
  });

  it('when the same clientId is sent again, then the same message is answered', async () => {
    const clientId = randomUUID();
    const body = { deviceId: wuz.id, to: '+4915123456789', text: `again ${clientId}`, clientId };
    const a = await env.http.post('/api/messages/send', { token: env.owner.token, body });
    const b = await env.http.post('/api/messages/send', { token: env.owner.token, body });
    expect(a.status).toBe(202);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
  });

  it.each(['12', 'not a number', 'abc@s.whatsapp.net'])('when the recipient is %s, then 400', async (to) => {
    const r = await env.http.post('/api/messages/send', { token: env.owner.token, body: { deviceId: wuz.id, to, text: 'x' } });
    expect(r.status).toBe(400);
  });
});

describe('who may send', () => {
  let people: Record<string, string>;
  beforeAll(async () => {
    const mk = async (orgId: string, role: 'admin' | 'editor' | 'viewer') => env.login((await makeUser(env.t.db, orgId, role)).email);
    const agent = await makeUser(env.t.db, env.org.id, 'editor');
    const viewer = await makeUser(env.t.db, env.org.id, 'editor');
    const grantee = await makeUser(env.t.db, env.org.id, 'editor');
    await env.http.post(`/api/devices/${waha.id}/members`, { token: env.owner.token, body: { userId: agent.id, role: 'agent' } });
    await env.http.post(`/api/devices/${waha.id}/members`, { token: env.owner.token, body: { userId: viewer.id, role: 'viewer' } });
    await env.t.db('chat_shares').insert({ org_id: env.org.id, chat_id: wahaChat, grantee_id: grantee.id, granted_by: env.owner.id });
    const other = await makeOrg(env.t.db);
    people = {
      agent: await env.login(agent.email),
      viewer: await env.login(viewer.email),
      grantee: await env.login(grantee.email),
      colleague: await mk(env.org.id, 'editor'),
      admin: await mk(env.org.id, 'admin'),
      outsider: await mk(other.id, 'admin'),
    };
  });

  it.each([
    ['agent', 202, 202],
    ['viewer', 403, 403],
    ['grantee', 403, 404],
    ['colleague', 404, 404],
    ['admin', 404, 404],
    ['outsider', 404, 404],
  ])('when the %s sends, then the chat route answers %i and /api/messages/send %i', async (who, chatStatus, sendStatus) => {
    const token = people[who]!;
    const text = `by ${who} ${randomUUID()}`;
    const a = await send(wahaChat, { clientId: randomUUID(), text }, token);
    expect(a.status).toBe(chatStatus);
    const b = await env.http.post('/api/messages/send', { token, body: { deviceId: waha.id, to: '+4915110000001', text } });
    expect(b.status).toBe(sendStatus);
    const written = await rowsWithBody(wahaChat, text);
    expect(written).toHaveLength(chatStatus === 202 ? 2 : 0);
  });

  it('when a failed message is retried by a viewer or a stranger, then 403 / 404', async () => {
    const [m] = await env.t.db('messages').insert({ org_id: env.org.id, device_id: waha.id, chat_id: wahaChat, direction: 'out', type: 'text', body: 'failed before', ack: -1, error: 'x', sent_at: new Date() }).returning('id');
    expect((await env.http.post(`/api/messages/${m.id}/retry`, { token: people.viewer })).status).toBe(403);
    expect((await env.http.post(`/api/messages/${m.id}/retry`, { token: people.grantee })).status).toBe(403);
    expect((await env.http.post(`/api/messages/${m.id}/retry`, { token: people.colleague })).status).toBe(404);
    expect((await env.http.post(`/api/messages/${m.id}/retry`, { token: people.outsider })).status).toBe(404);
  });
});
