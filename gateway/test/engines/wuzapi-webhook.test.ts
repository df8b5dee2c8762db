// WuzAPI webhooks in both wire formats: the simulator's real signed deliveries verified and parsed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import { type EngineAdapter, type EngineSession, type RawWebhook, WebhookPayloadError } from '../../src/features/engines/engine.types.js';
import { HMAC_KEY, control, registryFor, startReceiver, startSim, until, type Receiver, type Received } from './sim-harness.js';

interface Run {
  s: EngineSession;
  path: string;
  plain: any;
  lid: any;
  group: any;
  media: any;
  sentId: string;
  inboundRead: string;
  qr: string;
}

describe.each(['form', 'json'] as const)('WuzAPI webhooks (%s format)', (format) => {
  let sim: RunningSim;
  let hook: Receiver;
  let wuz: EngineAdapter;
  let run: Run;

  beforeAll(async () => {
    sim = await startSim({ wuzapiWebhookFormat: format, qrRotateMs: 60_000 });
    hook = await startReceiver();
    wuz = registryFor(sim).adapter('wuzapi');
    const path = `/wuzapi/${format}`;
    const base: EngineSession = { engine: 'wuzapi', session: `dev_${format}` };
    const created = await wuz.createSession(base, { webhookUrl: `${hook.url}${path}`, hmacKey: HMAC_KEY });
    const s = { ...base, token: created.token!, engineRef: created.engineRef! };
    const qr = await until(async () => (await wuz.getQr(s)).qr, 3000);
    await hook.waitFor(path, (j) => j.type === 'QR');
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 3, messagesPerChat: 5 }); // arrives as HistorySync on scan
    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15559990000' });
    const plain = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15559990001', body: 'hi there', pushName: 'Ana' });
    const lid = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15559990002', body: 'via lid', lid: true, pushName: 'Lu' });
    const group = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15559990003', body: 'in group', group: true });
    const media = await control(sim).post(`/sessions/${s.session}/inbound`, {
      from: '15559990004', body: 'photo', media: { mimetype: 'image/png', filename: 'p.png', data: Buffer.from('PNGDATA').toString('base64') },
    });
    const sentId = (await wuz.sendText(s, { chatJid: '15559990001@s.whatsapp.net', text: 'out' })).id!;
    await control(sim).post(`/sessions/${s.session}/ack`, { messageId: sentId, ack: 'DEVICE' });
    await control(sim).post(`/sessions/${s.session}/ack`, { messageId: sentId, ack: 'READ' });
    await control(sim).post(`/sessions/${s.session}/ack`, { messageId: plain.shortId, ack: 'READ' });
    await control(sim).post(`/sessions/${s.session}/logout`);
    await hook.waitFor(path, (j) => j.type === 'LoggedOut');
    await sim.webhooksIdle();
    run = { s, path, plain, lid, group, media, sentId, inboundRead: plain.shortId, qr };
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });

  const one = (pred: (j: any) => boolean): Received => {
    const hit = hook.find(run.path, pred)[0];
    if (!hit) throw new Error('no such delivery');
    return hit;
  };
  const message = (body: string) => one((j) => j.type === 'Message' && j.event.Message && JSON.stringify(j.event.Message).includes(`"${body}"`));

  it('when a delivery is the engine\'s own, then it verifies; a tampered byte or another key does not; unsigned only when allowed', () => {
    expect(hook.received.length).toBeGreaterThan(8);
    for (const r of hook.received) {
      expect(String(r.headers['content-type'])).toContain(format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json');
      expect(wuz.verifyWebhook(r, HMAC_KEY, { allowUnsigned: false })).toBe(true);
    }
    const r = hook.received[0]!;
    const tampered = Buffer.from(r.body);
    tampered[5] = tampered[5]! ^ 1;
    expect(wuz.verifyWebhook({ body: tampered, headers: r.headers }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
    expect(wuz.verifyWebhook(r, `${HMAC_KEY}x`, { allowUnsigned: false })).toBe(false);
    const { 'x-hmac-signature': _sig, ...unsigned } = r.headers;
    expect(wuz.verifyWebhook({ body: r.body, headers: unsigned }, HMAC_KEY, { allowUnsigned: false })).toBe(false);
    expect(wuz.verifyWebhook({ body: r.body, headers: unsigned }, HMAC_KEY, { allowUnsigned: true })).toBe(true);
  });

  it('when QR, PairSuccess, Connected and LoggedOut arrive, then they become qr and session.status events', () => {
    const qr = wuz.parseWebhook(one((j) => j.type === 'QR'));
    expect(qr).toEqual({ eventId: null, events: [{ kind: 'session.status', status: 'qr', detail: 'QR' }, { kind: 'qr', qr: run.qr }] });
    const pair = wuz.parseWebhook(one((j) => j.type === 'PairSuccess')).events;
    expect(pair[0]).toEqual({ kind: 'session.status', status: 'connected', detail: 'PairSuccess', jid: '15559990000@s.whatsapp.net', pushName: null });
    expect(pair[1]).toMatchObject({ kind: 'lid', mapping: { lid: expect.stringMatching(/^\d+@lid$/), phoneJid: '15559990000@s.whatsapp.net' } });
    expect(wuz.parseWebhook(one((j) => j.type === 'Connected')).events).toEqual([{ kind: 'session.status', status: 'connected', detail: 'Connected' }]);
    expect(wuz.parseWebhook(one((j) => j.type === 'LoggedOut')).events).toEqual([{ kind: 'session.status', status: 'logged_out', detail: 'LoggedOut' }]);
  });

  it('when a contact writes, then the message has its key id, canonical JIDs, time with offset, push name, and a contact', () => {
    const parsed = wuz.parseWebhook(message('hi there'));
    expect(parsed.eventId).toBeNull();
    const msg = parsed.events.find((e) => e.kind === 'message') as any;
    expect(msg.message).toMatchObject({
      id: run.plain.shortId, chatJid: '15559990001@s.whatsapp.net', senderJid: '15559990001@s.whatsapp.net', fromMe: false,
      type: 'text', body: 'hi there', pushName: 'Ana', isGroup: false, media: null,
    });
    const live = sim.store.wuzapi.get(run.s.engineRef!)!.account.byId.get(run.plain.shortId)!;
    expect(msg.message.timestamp.getTime()).toBe(live.timestamp * 1000);
    expect(parsed.events).toContainEqual({ kind: 'contact', contact: { jid: '15559990001@s.whatsapp.net', pushName: 'Ana' } });
    // SenderAlt gives the LID of a phone sender: a mapping comes first.
    expect(parsed.events[0]).toMatchObject({ kind: 'lid', mapping: { phoneJid: '15559990001@s.whatsapp.net' } });
  });

  it('when the sender arrives by LID, then the message keeps the @lid chat and a LID → phone mapping precedes it', () => {
    const parsed = wuz.parseWebhook(message('via lid'));
    expect(parsed.events[0]).toEqual({ kind: 'lid', mapping: { lid: run.lid.lid, phoneJid: '15559990002@s.whatsapp.net' } });
    expect(parsed.events[1]).toMatchObject({ kind: 'message', message: { id: run.lid.shortId, chatJid: run.lid.lid, senderJid: run.lid.lid } });
  });

  it('when a group member writes or media arrives, then group, sender and inline media are read', () => {
    const g = wuz.parseWebhook(message('in group')).events.find((e) => e.kind === 'message') as any;
    expect(g.message).toMatchObject({ id: run.group.shortId, chatJid: '120363000000000001@g.us', senderJid: '15559990003@s.whatsapp.net', isGroup: true });
    const m = wuz.parseWebhook(message('photo')).events.find((e) => e.kind === 'message') as any;
    expect(m.message).toMatchObject({
      id: run.media.shortId, type: 'image', body: 'photo',
      media: { base64: Buffer.from('PNGDATA').toString('base64'), mimetype: 'image/png', filename: 'p.png' },
    });
  });

  it('when read receipts arrive, then Delivered → delivered, Read → read, and ReadSelf (our phone read it) → read', () => {
    const receipts = hook.find(run.path, (j) => j.type === 'ReadReceipt').map((r) => wuz.parseWebhook(r).events[0]);
    expect(receipts).toEqual(expect.arrayContaining([
      { kind: 'ack', ids: [run.sentId], chatJid: '15559990001@s.whatsapp.net', ack: 'delivered' },
      { kind: 'ack', ids: [run.sentId], chatJid: '15559990001@s.whatsapp.net', ack: 'read' },
      { kind: 'ack', ids: [run.inboundRead], chatJid: '15559990001@s.whatsapp.net', ack: 'read' },
    ]));
    expect(receipts).toHaveLength(3);
  });

  it('when HistorySync arrives, then every message in it becomes a message event', () => {
    const parsed = hook.find(run.path, (j) => j.type === 'HistorySync').map((r) => wuz.parseWebhook(r));
    // Marked as history, so the gateway stores it like an import (not unread, no live events).
    expect(parsed.every((p) => p.history === true)).toBe(true);
    const events = parsed.flatMap((p) => p.events);
    expect(events).toHaveLength(15);
    const ids = new Set(events.map((e) => (e as any).message.id));
    expect(ids.size).toBe(15);
    for (const e of events) {
      expect(e).toMatchObject({ kind: 'message', message: { chatJid: expect.stringMatching(/@s\.whatsapp\.net$/), type: 'text', timestamp: expect.any(Date) } });
    }
  });

  it('when a payload is malformed, then parseWebhook throws WebhookPayloadError; unknown types give no events', () => {
    const raw = (body: string, ct: string): RawWebhook => ({ body: Buffer.from(body), headers: { 'content-type': ct } });
    const form = 'application/x-www-form-urlencoded';
    const json = 'application/json';
    const bad: [string, string][] = [
      ['userID=1&instanceName=x', form], ['jsonData=%7Bnot', form], ['jsonData=%5B%5D', form], ['jsonData=%7B%7D', form],
      ['{"event":{}}', json], ['nope', json], ['[1]', json],
    ];
    for (const [b, ct] of bad) expect(() => wuz.parseWebhook(raw(b, ct)), b).toThrow(WebhookPayloadError);
    // A readable post whose one event cannot be read: no events, the reason named.
    expect(wuz.parseWebhook(raw(JSON.stringify({ type: 'Message', event: { Info: { Chat: 'x' } } }), json))).toMatchObject({ events: [], rejected: [expect.any(String)] });
    expect(wuz.parseWebhook(raw(JSON.stringify({ type: 'ChatPresence', event: {} }), json)).events).toEqual([]);
    expect(wuz.parseWebhook(raw(`jsonData=${encodeURIComponent(JSON.stringify({ type: 'Disconnected', event: {} }))}`, form)).events)
      .toEqual([{ kind: 'session.status', status: 'disconnected', detail: 'Disconnected' }]);
    const reaction = JSON.stringify({ type: 'Message', event: { Info: { ID: 'R', Chat: '1555@s.whatsapp.net', Sender: '1555@s.whatsapp.net', IsFromMe: false }, Message: { reactionMessage: { key: { ID: '3EB0X' }, text: '❤' } } } });
    expect(wuz.parseWebhook(raw(reaction, json)).events).toMatchObject([{ kind: 'reaction', targetId: '3EB0X', emoji: '❤', senderJid: '1555@s.whatsapp.net' }]);
    const revoke = JSON.stringify({ type: 'Message', event: { Info: { ID: 'P', Chat: '1555@s.whatsapp.net' }, Message: { protocolMessage: { type: 'REVOKE', key: { ID: '3EB0Y' } } } } });
    expect(wuz.parseWebhook(raw(revoke, json)).events).toMatchObject([{ kind: 'revoke', targetId: '3EB0Y' }]);
  });
});
