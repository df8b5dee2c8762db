// WAHA webhooks: the simulator's real signed deliveries verified and parsed into the gateway's events.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import { type EngineAdapter, type EngineSession, type RawWebhook, WebhookPayloadError } from '../../src/features/engines/engine.types.js';
import { HMAC_KEY, control, registryFor, startReceiver, startSim, until, type Receiver, type Received } from './sim-harness.js';

const PATH = '/waha/hooks';

describe('WAHA webhooks', () => {
  let sim: RunningSim;
  let hook: Receiver;
  let waha: EngineAdapter;
  const s: EngineSession = { engine: 'waha', session: 'dev_webhooks' };
  let plain: any, lid: any, group: any, media: any, sentId: string;

  beforeAll(async () => {
    sim = await startSim();
    hook = await startReceiver();
    waha = registryFor(sim).adapter('waha');
    await waha.createSession(s, { webhookUrl: `${hook.url}${PATH}`, hmacKey: HMAC_KEY });
    await until(async () => (await waha.getState(s)).status === 'qr', 3000);
    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15557770000' });
    plain = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15557770001', body: 'hi there', pushName: 'Ana' });
    lid = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15557770002', body: 'via lid', lid: true });
    group = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15557770003', body: 'in group', group: true, pushName: 'Bo' });
    media = await control(sim).post(`/sessions/${s.session}/inbound`, {
      from: '15557770004', body: 'see file', media: { mimetype: 'application/pdf', filename: 'a.pdf', data: Buffer.from('%PDF').toString('base64') },
    });
    sentId = (await waha.sendText(s, { chatJid: '15557770001@s.whatsapp.net', text: 'reply from api' })).id!;
    await control(sim).post(`/sessions/${s.session}/ack`, { messageId: sentId, ack: 'DEVICE' });
    await hook.waitFor(PATH, (j) => j.event === 'message.ack');
    await sim.webhooksIdle();
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });

  const one = (pred: (j: any) => boolean): Received => {
    const hit = hook.find(PATH, pred)[0];
    if (!hit) throw new Error('no such delivery');
    return hit;
  };
  const raw = (body: unknown, headers: Record<string, string> = {}): RawWebhook => ({ body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), headers });
  const envelope = (event: string, payload: unknown) => ({ id: 'evt_01', timestamp: 1_700_000_000_000, event, session: 's', me: null, payload });

  it('when a delivery is the engine\'s own, then it verifies; a tampered byte, a missing header, another algorithm or another key do not', () => {
    expect(hook.received.length).toBeGreaterThan(8);
    for (const r of hook.received) expect(waha.verifyWebhook(r, HMAC_KEY, { allowUnsigned: false })).toBe(true);
    const r = hook.received[0]!;
    const tampered = Buffer.from(r.body);
    tampered[10] = tampered[10]! ^ 1;
    expect(waha.verifyWebhook({ body: tampered, headers: r.headers }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
    const { 'x-webhook-hmac': _sig, ...unsigned } = r.headers;
    expect(waha.verifyWebhook({ body: r.body, headers: unsigned }, HMAC_KEY, { allowUnsigned: true })).toBe(false);
    const sha256 = createHmac('sha256', HMAC_KEY).update(r.body).digest('hex');
    expect(waha.verifyWebhook({ body: r.body, headers: { ...r.headers, 'x-webhook-hmac-algorithm': 'sha256' } }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
    expect(waha.verifyWebhook({ body: r.body, headers: { 'x-webhook-hmac': sha256, 'x-webhook-hmac-algorithm': 'sha256' } }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
    expect(waha.verifyWebhook(r, `${HMAC_KEY}x`, { allowUnsigned: false })).toBe(false);
    expect(waha.verifyWebhook({ body: r.body, headers: { ...r.headers, 'x-webhook-hmac': 'zz' } }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
  });

  it('when a contact writes, then message and message.any both parse to the same message with a contact from its push name', () => {
    for (const event of ['message', 'message.any']) {
      const r = one((j) => j.event === event && j.payload.body === 'hi there');
      const parsed = waha.parseWebhook(r);
      expect(parsed.eventId).toMatch(/^evt_[0-9a-z]{26}$/);
      expect(parsed.events).toEqual([
        {
          kind: 'message',
          message: expect.objectContaining({
            id: plain.shortId, engineFullId: plain.id, chatJid: '15557770001@s.whatsapp.net', senderJid: '15557770001@s.whatsapp.net',
            fromMe: false, type: 'text', body: 'hi there', pushName: 'Ana', source: 'app', ack: 'delivered', isGroup: false, media: null, replyToId: null,
          }),
        },
        { kind: 'contact', contact: { jid: '15557770001@s.whatsapp.net', pushName: 'Ana' } },
      ]);
      expect((parsed.events[0] as any).message.timestamp).toBeInstanceOf(Date);
    }
  });

  it('when our API send is echoed (message.any, source api), then it is our message with the id sendText returned', () => {
    const parsed = waha.parseWebhook(one((j) => j.event === 'message.any' && j.payload.body === 'reply from api'));
    expect(parsed.events).toEqual([{ kind: 'message', message: expect.objectContaining({ id: sentId, fromMe: true, source: 'api', senderJid: '15557770000@s.whatsapp.net', chatJid: '15557770001@s.whatsapp.net' }) }]);
  });

  it('when the sender arrives by LID, then the chat is the canonical @lid form and the key id is the same', () => {
    const parsed = waha.parseWebhook(one((j) => j.event === 'message' && j.payload.body === 'via lid'));
    expect(parsed.events[0]).toMatchObject({ kind: 'message', message: { id: lid.shortId, chatJid: lid.lid, senderJid: lid.lid, isGroup: false } });
    expect(lid.lid).toMatch(/^\d+@lid$/);
  });

  it('when a group member writes, then the chat is the group and the sender the participant', () => {
    const parsed = waha.parseWebhook(one((j) => j.event === 'message' && j.payload.body === 'in group'));
    expect(parsed.events).toEqual([
      { kind: 'message', message: expect.objectContaining({ id: group.shortId, chatJid: '120363000000000001@g.us', senderJid: '15557770003@s.whatsapp.net', isGroup: true, pushName: 'Bo' }) },
      { kind: 'contact', contact: { jid: '15557770003@s.whatsapp.net', pushName: 'Bo' } },
    ]);
  });

  it('when media arrives, then it carries the engine link, mimetype and file name', () => {
    const parsed = waha.parseWebhook(one((j) => j.event === 'message' && j.payload.body === 'see file'));
    const m = (parsed.events[0] as any).message;
    expect(m).toMatchObject({ id: media.shortId, type: 'document', body: 'see file', media: { mimetype: 'application/pdf', filename: 'a.pdf' } });
    expect(m.media.url).toMatch(new RegExp(`^${sim.url}/api/files/`));
  });

  it('when an ack and status changes arrive, then they become ack and session.status events', () => {
    expect(waha.parseWebhook(one((j) => j.event === 'message.ack')).events).toEqual([{ kind: 'ack', ids: [sentId], chatJid: '15557770001@s.whatsapp.net', ack: 'delivered' }]);
    const workingRaw = one((j) => j.event === 'session.status' && j.payload.status === 'WORKING');
    const working = waha.parseWebhook(workingRaw).events;
    // `at` is the envelope's timestamp: the engine's time of the status (late, older ones are left out).
    const at = new Date(JSON.parse(workingRaw.body.toString()).timestamp);
    expect(working[0]).toEqual({ kind: 'session.status', status: 'connected', detail: 'WORKING', jid: '15557770000@s.whatsapp.net', pushName: `Sim ${s.session}`, at });
    expect(working[1]).toMatchObject({ kind: 'lid', mapping: { phoneJid: '15557770000@s.whatsapp.net' } });
    expect(waha.parseWebhook(one((j) => j.event === 'session.status' && j.payload.status === 'SCAN_QR_CODE')).events).toEqual([{ kind: 'session.status', status: 'qr', detail: 'SCAN_QR_CODE', jid: null, pushName: null, at: expect.any(Date) }]);
    expect(waha.parseWebhook(one((j) => j.event === 'session.status' && j.payload.status === 'STARTING')).events[0]).toMatchObject({ status: 'starting' });
  });

  it('when reactions, revokes, edits and LID-aware payloads arrive, then they parse defensively', () => {
    const at = 1_700_000_100;
    const reaction = waha.parseWebhook(raw(envelope('message.reaction', {
      id: 'false_1555@c.us_R1', timestamp: at, from: '1555@c.us', fromMe: false, participant: null, reaction: { text: '👍', messageId: 'true_1555@c.us_3EB0AA' },
    })));
    expect(reaction.events).toEqual([{ kind: 'reaction', targetId: '3EB0AA', senderJid: '1555@s.whatsapp.net', fromMe: false, emoji: '👍', timestamp: new Date(at * 1000) }]);
    expect(waha.parseWebhook(raw(envelope('message.revoked', { revokedMessageId: '3EB0BB', before: null, after: { timestamp: at } }))).events)
      .toEqual([{ kind: 'revoke', targetId: '3EB0BB', timestamp: new Date(at * 1000) }]);
    expect(waha.parseWebhook(raw(envelope('message.revoked', { before: { id: 'false_1555@c.us_3EB0CC' } }))).events[0]).toMatchObject({ targetId: '3EB0CC' });
    expect(waha.parseWebhook(raw(envelope('message.edited', { id: 'x', timestamp: at, body: 'fixed', editedMessageId: '3EB0DD' }))).events)
      .toEqual([{ kind: 'edit', targetId: '3EB0DD', body: 'fixed', timestamp: new Date(at * 1000) }]);
    const alt = waha.parseWebhook(raw(envelope('message', {
      id: 'false_123456789012345@lid_3EB0EE', timestamp: at, from: '123456789012345@lid', fromMe: false, body: 'x', ack: null, replyTo: 'false_123456789012345@lid_3EB0FF',
      _data: { key: { remoteJid: '123456789012345@lid', remoteJidAlt: '15551234567@s.whatsapp.net', id: '3EB0EE' }, notifyName: 'Cy' },
    })));
    expect(alt.events[0]).toEqual({ kind: 'lid', mapping: { lid: '123456789012345@lid', phoneJid: '15551234567@s.whatsapp.net' } });
    expect(alt.events[1]).toMatchObject({ kind: 'message', message: { id: '3EB0EE', replyToId: '3EB0FF', pushName: 'Cy', ack: null } });
    expect(waha.parseWebhook(raw(envelope('presence.update', { id: 'x' }))).events).toEqual([]);
    expect(waha.parseWebhook(raw(envelope('message.ack', { id: 'true_1@c.us_A', ack: null, ackName: 'UNKNOWN' }))).events).toEqual([]);
  });

  it('when a payload is malformed, then parseWebhook throws WebhookPayloadError; an unreadable event in a good envelope is named in rejected', () => {
    const bad = [
      'not json', '[]', 'null', JSON.stringify({ id: 'evt', session: 's', payload: {} }), JSON.stringify({ id: 'evt', event: 'message', payload: {} }),
      JSON.stringify(envelope('message', null)), JSON.stringify(envelope('message', 'text')),
    ];
    for (const b of bad) expect(() => waha.parseWebhook(raw(b)), b).toThrow(WebhookPayloadError);
    for (const b of [JSON.stringify(envelope('message', { body: 'no id' })), JSON.stringify(envelope('message.reaction', { reaction: null }))]) {
      const parsed = waha.parseWebhook(raw(b));
      expect(parsed.events, b).toEqual([]);
      expect(parsed.rejected, b).toHaveLength(1);
    }
  });
});
