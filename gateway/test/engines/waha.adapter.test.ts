// The WAHA adapter against the simulator over real HTTP: lifecycle, QR, pairing, sending, history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import type { EngineAdapter, EngineSession } from '../../src/features/engines/engine.types.js';
import type { EngineRegistry } from '../../src/features/engines/engine-registry.js';
import { HMAC_KEY, control, deviceId, registryFor, startReceiver, startSim, until, type Receiver } from './sim-harness.js';

describe('WAHA adapter', () => {
  let sim: RunningSim;
  let hook: Receiver;
  let reg: EngineRegistry;
  let waha: EngineAdapter;

  beforeAll(async () => {
    sim = await startSim();
    hook = await startReceiver();
    reg = registryFor(sim);
    waha = reg.adapter('waha');
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });

  const newSession = async (): Promise<EngineSession> => {
    const id = deviceId();
    const s: EngineSession = { engine: 'waha', session: reg.sessionNameFor('waha', id) };
    await waha.createSession(s, { webhookUrl: `${hook.url}/waha/${id}`, hmacKey: HMAC_KEY, metadata: { deviceId: id } });
    return s;
  };
  const connected = async (phone: string): Promise<EngineSession> => {
    const s = await newSession();
    await until(async () => (await waha.getQr(s)).qr, 20_000, 'QR');
    await control(sim).post(`/sessions/${s.session}/scan`, { phone });
    return s;
  };

  it('when a session is created, then the engine holds our webhook, HMAC key and store settings', async () => {
    const s = await newSession();
    const info = sim.session(s.session) as any;
    expect(info.webhooks).toHaveLength(1);
    expect(info.webhooks[0].events).toEqual(expect.arrayContaining(['session.status', 'message', 'message.any', 'message.ack', 'message.reaction', 'message.revoked', 'message.edited']));
    expect(info.webhooks[0].hmacKey).toBe(HMAC_KEY);
    expect(info.webhooks[0].retries).toEqual({ policy: 'exponential', delaySeconds: 2, attempts: 15 });
    expect(info.store).toEqual({ enabled: true, fullSync: true });
    expect(info.started).toBe(true);
    expect(s.session).toMatch(/^dev_[a-f0-9]{32}$/);
  });

  it('when the session waits for a scan, then getQr returns the raw QR text, a new one after rotation, and connected after the scan', async () => {
    const s = await newSession();
    const first = await until(async () => (await waha.getQr(s)).qr, 20_000, 'first QR');
    expect(first).toMatch(/^2@/);
    // The engine's own QR text, as it shows it: it rotates every 150 ms here, so on a busy machine it may
    // have moved on between the answer and the look; some answer matches the QR the engine shows then.
    await until(async () => {
      const q = (await waha.getQr(s)).qr;
      return q !== null && q === (sim.session(s.session) as any).qr;
    }, 20_000, 'the QR the engine shows');
    const second = await until(async () => {
      const q = await waha.getQr(s);
      return q.qr && q.qr !== first ? q.qr : null;
    }, 20_000, 'rotated QR');
    expect(second).not.toBe(first);
    expect((await waha.getState(s)).status).toBe('qr');

    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15550001111' });
    const state = await waha.getState(s);
    expect(state).toMatchObject({ status: 'connected', jid: '15550001111@s.whatsapp.net', pushName: `Sim ${s.session}` });
    expect(await waha.getQr(s)).toEqual({ status: 'connected', qr: null });
  }, 60_000);

  it('when create is repeated for an existing session, then it is updated in place and keeps running', async () => {
    const s = await connected('15550001112');
    await waha.createSession(s, { webhookUrl: `${hook.url}/waha/again`, hmacKey: HMAC_KEY });
    expect((sim.session(s.session) as any).webhooks[0].url).toBe(`${hook.url}/waha/again`);
    await until(async () => (await waha.getState(s)).status === 'connected', 20_000, 'connected again');
  });

  it('when a pairing code is requested, then the engine gives one and the phone that enters it is the one paired', async () => {
    const s = await newSession();
    await until(async () => (await waha.getState(s)).status === 'qr', 20_000, 'qr status');
    const code = await waha.requestPairingCode(s, '+1 555 000 2222');
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await control(sim).post(`/sessions/${s.session}/scan`);
    expect((await waha.getState(s)).jid).toBe('15550002222@s.whatsapp.net');
  });

  it('when a text is sent, then the answer gives its key id, and replies and seen carry full serialized ids', async () => {
    const s = await connected('15550003000');
    const chat = '15550003333@s.whatsapp.net';
    const sent = await waha.sendText(s, { chatJid: chat, text: 'hello' });
    expect(sent.id).toMatch(/^3EB0/);
    expect(sent.engineFullId).toBe(`true_15550003333@c.us_${sent.id}`);
    expect(sent.timestamp.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const inbound = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15550003333', body: 'question' });
    const reply = await waha.sendText(s, { chatJid: chat, text: 'answer', replyTo: { id: inbound.shortId, fromMe: false } });
    const group = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15550004444', body: 'in group', group: true });
    await waha.sendText(s, {
      chatJid: '120363000000000001@g.us', text: 'group answer',
      replyTo: { id: group.shortId, fromMe: false, senderJid: '15550004444@s.whatsapp.net' },
    });
    await waha.markSeen(s, chat, [{ id: inbound.shortId }]);

    const log = (await control(sim).get(`/sessions/${s.session}/sent`)) as any[];
    expect(log[0].request).toEqual({ session: s.session, chatId: '15550003333@c.us', text: 'hello' });
    expect(log[1].request.reply_to).toBe(`false_15550003333@c.us_${inbound.shortId}`);
    expect(log[1].messageId).toBe(`true_15550003333@c.us_${reply.id}`);
    expect(log[2].request.reply_to).toBe(`false_120363000000000001@g.us_${group.shortId}_15550004444@c.us`);
    expect(log[3]).toMatchObject({ kind: 'seen', request: { chatId: '15550003333@c.us', messageIds: [`false_15550003333@c.us_${inbound.shortId}`] } });

    // The echo (message.any, source api) of the reply names the quoted message.
    const echo = await hook.waitFor(`/waha/${(sim.session(s.session) as any).metadata.deviceId}`, (j) => j.event === 'message.any' && j.payload.body === 'answer');
    expect(echo[0]!.json().payload.replyTo.id).toBe(inbound.shortId);
  });

  it('when the phone holds history, then chats, messages, contacts and the LID map page through to exactly the engine counts', async () => {
    const s = await connected('15550005000');
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 520, messagesPerChat: 3 });
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 1, messagesPerChat: 57 });
    const info = sim.session(s.session) as any;

    const chats = [];
    for (let offset = 0; ; offset += 100) {
      const page = await waha.listChats(s, { offset, limit: 100 });
      chats.push(...page);
      if (page.length < 100) break;
    }
    expect(chats).toHaveLength(info.chats);
    expect(new Set(chats.map((c) => c.jid)).size).toBe(info.chats);
    expect(chats.every((c) => c.jid.endsWith('@s.whatsapp.net') && !c.isGroup && c.lastMessageAt instanceof Date)).toBe(true);
    for (let i = 1; i < chats.length; i++) expect(chats[i - 1]!.lastMessageAt!.getTime()).toBeGreaterThanOrEqual(chats[i]!.lastMessageAt!.getTime());

    let total = 0;
    for (const c of chats) {
      for (let offset = 0; ; offset += 20) {
        const page = await waha.listMessages(s, c.jid, { offset, limit: 20 });
        total += page.length;
        for (let i = 1; i < page.length; i++) expect(page[i - 1]!.timestamp.getTime()).toBeGreaterThanOrEqual(page[i]!.timestamp.getTime());
        for (const m of page) expect(m).toMatchObject({ chatJid: c.jid, isGroup: false, type: 'text' });
        if (page.length < 20) break;
      }
    }
    expect(total).toBe(info.messages);

    const big = chats.find((c) => c.name === 'History Contact 1')!;
    const newest = await waha.listMessages(s, big.jid, { offset: 0, limit: 2 });
    expect(newest[0]!.id).toMatch(/^3EB0/);
    expect(newest[0]!.senderJid).toBe(newest[0]!.fromMe ? '15550005000@s.whatsapp.net' : big.jid);

    const contacts = await waha.listContacts(s);
    expect(contacts).toHaveLength(info.contacts);
    expect(contacts.find((c) => c.fullName === 'History Contact 1')).toMatchObject({ pushName: 'History Contact 1' });

    const lids = await waha.listLids(s);
    expect(lids).toHaveLength(sim.store.waha.get(s.session)!.account.lidToPhone.size); // contacts and our own number
    expect(lids.length).toBeGreaterThan(500);
    expect(lids[0]!.lid).toMatch(/^\d+@lid$/);
    expect(await waha.resolveLid(s, lids[0]!.lid)).toBe(lids[0]!.phoneJid);
    expect(await waha.resolveLid(s, '999999999999999@lid')).toBeNull();
  });

  it('when the device logs out and is deleted, then the engine shows a new QR, then forgets the session, and a second delete still succeeds', async () => {
    const s = await connected('15550006000');
    await waha.logout(s);
    await until(async () => (await waha.getState(s)).status === 'qr', 20_000, 'qr after logout');
    expect((sim.session(s.session) as any).phone).toBeNull();
    await waha.deleteSession(s);
    expect(sim.store.waha.has(s.session)).toBe(false);
    expect((await waha.getState(s)).status).toBe('disconnected');
    await expect(waha.deleteSession(s)).resolves.toBeUndefined();
  });
});
