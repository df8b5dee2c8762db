// The WuzAPI adapter against the simulator over real HTTP: user lifecycle, QR decoded from PNG, pairing, sending, history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import type { EngineAdapter, EngineSession } from '../../src/features/engines/engine.types.js';
import type { EngineRegistry } from '../../src/features/engines/engine-registry.js';
import { HMAC_KEY, control, deviceId, registryFor, startReceiver, startSim, until, type Receiver } from './sim-harness.js';

describe('WuzAPI adapter', () => {
  let sim: RunningSim;
  let hook: Receiver;
  let reg: EngineRegistry;
  let wuz: EngineAdapter;

  beforeAll(async () => {
    sim = await startSim();
    hook = await startReceiver();
    reg = registryFor(sim);
    wuz = reg.adapter('wuzapi');
  });
  afterAll(async () => {
    await sim?.close();
    await hook?.close();
  });

  const newSession = async (): Promise<EngineSession> => {
    const id = deviceId();
    const s: EngineSession = { engine: 'wuzapi', session: reg.sessionNameFor('wuzapi', id) };
    const created = await wuz.createSession(s, { webhookUrl: `${hook.url}/wuzapi/${id}`, hmacKey: HMAC_KEY });
    return { ...s, token: created.token ?? null, engineRef: created.engineRef ?? null };
  };
  const connected = async (phone: string): Promise<EngineSession> => {
    const s = await newSession();
    await until(async () => (await wuz.getQr(s)).qr, 20_000, 'QR');
    await control(sim).post(`/sessions/${s.session}/scan`, { phone });
    return s;
  };

  it('when a session is created, then a user exists with our token, webhook, events, HMAC key and history, and is connecting', async () => {
    const s = await newSession();
    expect(s.token).toMatch(/^[0-9a-f]{48}$/);
    const user = sim.store.wuzapi.get(s.engineRef!)!;
    expect(user).toMatchObject({ name: s.session, token: s.token, hmacKey: HMAC_KEY, connected: true, loggedIn: false });
    expect(user.history).toBeGreaterThan(0);
    expect(user.events).toEqual(expect.arrayContaining(['Message', 'ReadReceipt', 'Connected', 'PairSuccess', 'LoggedOut', 'Disconnected', 'QR', 'HistorySync']));
    expect(user.webhook).toMatch(new RegExp(`^${hook.url}/wuzapi/`));
  });

  it('when the user waits for a scan, then getQr decodes the PNG to the raw QR text, a new one after rotation, and connected after the scan', async () => {
    const s = await newSession();
    const first = await until(async () => (await wuz.getQr(s)).qr, 20_000, 'first QR');
    expect(first).toMatch(/^2@/);
    // The engine's own QR text, as it shows it: it rotates every 150 ms here, so on a busy machine it may
    // have moved on between the answer and the look; some answer matches the QR the engine shows then.
    await until(async () => {
      const q = (await wuz.getQr(s)).qr;
      return q !== null && q === sim.store.wuzapi.get(s.engineRef!)!.qr;
    }, 20_000, 'the QR the engine shows');
    const second = await until(async () => {
      const q = await wuz.getQr(s);
      return q.qr && q.qr !== first ? q.qr : null;
    }, 20_000, 'rotated QR');
    expect(second).not.toBe(first);
    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15558001111' });
    expect(await wuz.getState(s)).toEqual({ status: 'connected', jid: '15558001111@s.whatsapp.net', pushName: null });
    expect(await wuz.getQr(s)).toEqual({ status: 'connected', qr: null });
  }, 60_000);

  it('when create is repeated for the same device (same name and key), then WuzAPI answers 409 for the token and the user is taken over', async () => {
    const s = await newSession();
    const again = await wuz.createSession({ engine: 'wuzapi', session: s.session }, { webhookUrl: `${hook.url}/wuzapi/again`, hmacKey: HMAC_KEY });
    expect(again).toEqual({ token: s.token, engineRef: s.engineRef });
    expect(sim.store.wuzapi.get(s.engineRef!)!.webhook).toBe(`${hook.url}/wuzapi/again`);
  });

  it('when a pairing code is requested, then the engine gives one and the phone that enters it is the one paired', async () => {
    const s = await newSession();
    await until(async () => (await wuz.getState(s)).status === 'qr', 20_000);
    const code = await wuz.requestPairingCode(s, '+1 555 800 2222');
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await control(sim).post(`/sessions/${s.session}/scan`);
    expect((await wuz.getState(s)).jid).toBe('15558002222@s.whatsapp.net');
  });

  it('when a text is sent, then its key id is known up front, replies quote the message and its author, and seen names chat and sender', async () => {
    const s = await connected('15558003000');
    const chat = '15558003333@s.whatsapp.net';
    const sent = await wuz.sendText(s, { chatJid: chat, text: 'hello' });
    expect(sent.id).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(sent.timestamp.getTime()).toBeGreaterThan(Date.now() - 60_000);
    const inbound = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15558003333', body: 'question' });
    await wuz.sendText(s, { chatJid: chat, text: 'answer', replyTo: { id: inbound.shortId, fromMe: false } });
    await wuz.sendText(s, { chatJid: chat, text: 'again', replyTo: { id: sent.id!, fromMe: true } });
    const group = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15558004444', body: 'g', group: true });
    await wuz.markSeen(s, '120363000000000001@g.us', [{ id: group.shortId, senderJid: '15558004444@s.whatsapp.net' }]);

    const log = (await control(sim).get(`/sessions/${s.session}/sent`)) as any[];
    expect(log[0]).toMatchObject({ kind: 'text', messageId: sent.id, chatId: chat, request: { Phone: chat, Body: 'hello', Id: sent.id } });
    expect(log[1].request.ContextInfo).toEqual({ StanzaID: inbound.shortId, Participant: chat });
    expect(log[2].request.ContextInfo).toEqual({ StanzaID: sent.id, Participant: '15558003000@s.whatsapp.net' });
    expect(log[3]).toMatchObject({ kind: 'markread', request: { Id: [group.shortId], ChatPhone: '120363000000000001@g.us', SenderPhone: '15558004444@s.whatsapp.net' } });
    const stored = sim.store.wuzapi.get(s.engineRef!)!.account.byId.get(sent.id!);
    expect(stored?.body).toBe('hello');
  });

  it('when the server holds history for two users, then only this device user\'s chats are listed, and limit-only paging reads every message once', async () => {
    const other = await connected('15558005900');
    for (const from of ['15558005901', '15558005902', '15558005903']) await control(sim).post(`/sessions/${other.session}/inbound`, { from, body: 'not yours' });
    const s = await connected('15558005000');
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 13, messagesPerChat: 4 });
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 1, messagesPerChat: 45 });
    const info = sim.session(s.session) as any;
    const theirs = new Set(sim.store.wuzapi.get(other.engineRef!)!.saved.keys());
    expect(theirs.size).toBe(3);

    const chats = await wuz.listChats(s, { offset: 0, limit: 50 });
    expect(await wuz.listChats(s, { offset: 50, limit: 50 })).toEqual([]); // the index has no pages: all came at once
    expect(chats).toHaveLength(info.chats);
    expect(new Set(chats.map((c) => c.jid))).toEqual(new Set(sim.store.wuzapi.get(s.engineRef!)!.saved.keys()));
    expect(chats.filter((c) => theirs.has(c.jid))).toEqual([]);

    let total = 0;
    for (const c of chats) {
      const seen = new Set<string>();
      for (let offset = 0; ; offset += 20) {
        const page = await wuz.listMessages(s, c.jid, { offset, limit: 20 });
        if (!page.length) break;
        for (let i = 1; i < page.length; i++) expect(page[i - 1]!.timestamp.getTime()).toBeGreaterThanOrEqual(page[i]!.timestamp.getTime());
        for (const m of page) {
          expect(m).toMatchObject({ chatJid: c.jid, type: 'text', isGroup: false });
          expect(m.senderJid).toBe(m.fromMe ? '15558005000@s.whatsapp.net' : c.jid);
          seen.add(m.id);
        }
        total += page.length;
      }
      expect(seen.size).toBe(sim.store.wuzapi.get(s.engineRef!)!.saved.get(c.jid)!.length);
    }
    expect(total).toBe(info.messages);

    const contacts = await wuz.listContacts(s);
    expect(contacts).toHaveLength(info.contacts);
    expect(contacts.find((c) => c.fullName === 'History Contact 2')).toMatchObject({ pushName: 'History Contact 2', jid: expect.stringMatching(/@s\.whatsapp\.net$/) });
    expect(await wuz.listLids(s)).toEqual([]);
    expect(await wuz.resolveLid(s, '1@lid')).toBeNull();
  });

  it('when a PDF is sent, then the body is data:application/octet-stream with the real type in MimeType, and the engine takes it', async () => {
    const s = await connected('15558005500');
    const pdf = Buffer.from('%PDF-1.4 tiny');
    const sent = await wuz.sendMedia(s, { chatJid: '15558005511@s.whatsapp.net', kind: 'document', mimetype: 'application/pdf', filename: 'q.pdf', data: pdf });
    const log = (await control(sim).get(`/sessions/${s.session}/sent`)) as any[];
    expect(log.at(-1)).toMatchObject({ kind: 'document', messageId: sent.id, request: { FileName: 'q.pdf', MimeType: 'application/pdf' } });
    expect(sim.store.wuzapi.get(s.engineRef!)!.account.byId.get(sent.id!)!.media).toMatchObject({ mimetype: 'application/pdf', data: pdf });
  });

  it('when the same name is created again with another key, then it is another user (names are not unique in WuzAPI)', async () => {
    const s = await newSession();
    const other = await wuz.createSession({ engine: 'wuzapi', session: s.session }, { webhookUrl: `${hook.url}/wuzapi/x`, hmacKey: 'z'.repeat(64) });
    expect(other.token).not.toBe(s.token);
    expect(other.engineRef).not.toBe(s.engineRef);
  });

  it('when the device logs out and is deleted, then the user is logged out, a new QR follows, and the user is removed for good', async () => {
    const s = await connected('15558006000');
    await wuz.logout(s);
    expect((await wuz.getState(s)).status).toBe('disconnected');
    await wuz.logout(s); // already logged out: nothing to do, no error
    await until(async () => (await wuz.getQr(s)).qr, 20_000, 'QR after logout');
    await wuz.deleteSession(s);
    expect(sim.store.wuzapi.has(s.engineRef!)).toBe(false);
    await expect(wuz.deleteSession(s)).resolves.toBeUndefined();
    expect((await wuz.getState(s)).status).toBe('disconnected');
  });
});
