import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSim, startSimulator } from '../src/index.js';
import { admin, control, wuz } from './support/clients.js';
import { type Receiver, type Received, startReceiver, until } from './support/receiver.js';

let sim: RunningSim;
let hook: Receiver;
const HMAC = 'k'.repeat(40);

beforeAll(async () => {
  sim = await startSimulator({ port: 0, qrRotateMs: 150, webhookRetry: { attempts: 3, delayMs: 20 } });
  hook = await startReceiver();
});
afterAll(async () => {
  await sim.close();
  await hook.close();
});
afterEach(async () => {
  await control(sim).post('/reset');
  hook.received.length = 0;
});

const createUser = (name: string, extra: Record<string, unknown> = {}) =>
  admin(sim).post('/admin/users', { name, token: `tok-${name}`, webhook: `${hook.url}/wuz/${name}`, events: 'All', hmacKey: HMAC, history: 100, ...extra });

/** Decodes either wire format into {type, ...}. */
function decode(r: Received): Record<string, any> {
  if (String(r.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(r.raw);
    return { ...JSON.parse(form.get('jsonData')!), userID: form.get('userID'), instanceName: form.get('instanceName') };
  }
  return JSON.parse(r.raw);
}
const events = (name: string) => hook.received.filter((r) => r.path === `/wuz/${name}`).map(decode);

async function loggedIn(name: string, phone = '15552220000') {
  await createUser(name);
  await wuz(sim, `tok-${name}`).post('/session/connect', { Subscribe: ['All'], Immediate: true });
  await until(async () => (await wuz(sim, `tok-${name}`).get('/session/qr')).body.data?.QRCode);
  await control(sim).post(`/sessions/${name}/scan`, { phone });
}

describe('WuzAPI auth', () => {
  it('when the admin Authorization or the user Token is wrong, then 401 with the error envelope', async () => {
    const a = await admin(sim, 'Bearer nope').get('/admin/users');
    expect(a.status).toBe(401);
    expect(a.body).toMatchObject({ code: 401, success: false });
    const u = await wuz(sim, 'nope').get('/session/status');
    expect(u.status).toBe(401);
    expect(u.body.success).toBe(false);
  });
});

describe('WuzAPI users and sessions', () => {
  it('when a user is created, then 201 {code, data:{id}, success}; a short hmacKey, then 400', async () => {
    const r = await createUser('u1');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ code: 201, success: true, data: { name: 'u1' } });
    expect(r.body.data.id).toBeTruthy();
    expect((await createUser('u2', { hmacKey: 'short' })).status).toBe(400);
    expect((await admin(sim).get('/admin/users')).body.data).toHaveLength(1);
  });

  it('when a second user has the same name, then it is created (409 is only for a taken token); an unknown event name, then 400', async () => {
    const first = await createUser('dup');
    const second = await admin(sim).post('/admin/users', { name: 'dup', token: 'tok-dup-2', events: 'Message' });
    expect(second.status).toBe(201);
    expect(second.body.data.id).not.toBe(first.body.data.id);
    const sameToken = await admin(sim).post('/admin/users', { name: 'other', token: 'tok-dup' });
    expect(sameToken.status).toBe(409);
    expect(sameToken.body).toMatchObject({ code: 409, success: false, error: 'user with this token already exists' });
    const badEvent = await admin(sim).post('/admin/users', { name: 'e', token: 'tok-e', events: 'Message,message.any' });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body).toMatchObject({ error: 'invalid event type', details: 'invalid event: message.any', success: false });
  });

  it('when connect subscribes to names WuzAPI does not know, then they are dropped silently; no Subscribe at all leaves no events', async () => {
    await createUser('sub');
    const c = await wuz(sim, 'tok-sub').post('/session/connect', { Subscribe: ['Message', 'NoSuchEvent', 'CallOffer'], Immediate: true });
    expect(c.status).toBe(200);
    expect(c.body.data.events).toBe('Message,CallOffer');
    await wuz(sim, 'tok-sub').post('/session/disconnect');
    await wuz(sim, 'tok-sub').post('/session/connect', { Immediate: true });
    expect((await wuz(sim, 'tok-sub').get('/session/status')).body.data.events).toBe('');
  });

  it('when connected, then the QR is empty at first, then a data URL, and scan posts PairSuccess and Connected', async () => {
    await createUser('u3');
    const c = await wuz(sim, 'tok-u3').post('/session/connect', { Subscribe: ['All'], Immediate: true });
    expect(c.status).toBe(200);
    expect((await wuz(sim, 'tok-u3').get('/session/qr')).body.data.QRCode).toBe('');
    const qr = await until(async () => (await wuz(sim, 'tok-u3').get('/session/qr')).body.data.QRCode);
    expect(qr).toMatch(/^data:image\/png;base64,/);
    await control(sim).post('/sessions/u3/scan', { phone: '15552223333' });
    const status = (await wuz(sim, 'tok-u3').get('/session/status')).body.data;
    expect(status).toMatchObject({ connected: true, loggedIn: true, jid: '15552223333:12@s.whatsapp.net' });
    expect((await wuz(sim, 'tok-u3').get('/session/qr')).status).toBe(500);
    const got = await until(() => (events('u3').some((e) => e.type === 'Connected') ? events('u3') : null));
    expect(got.map((e) => e.type)).toEqual(expect.arrayContaining(['QR', 'PairSuccess', 'Connected']));
    expect(got.find((e) => e.type === 'PairSuccess')!.event.ID).toBe('15552223333:12@s.whatsapp.net');
  });

  it('when a pairing code is asked, then LinkingCode; logout then requires a new connect', async () => {
    await createUser('u4');
    await wuz(sim, 'tok-u4').post('/session/connect', { Subscribe: ['All'], Immediate: true });
    const p = await wuz(sim, 'tok-u4').post('/session/pairphone', { Phone: '15554445555' });
    expect(p.body.data.LinkingCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await control(sim).post('/sessions/u4/scan');
    expect((await wuz(sim, 'tok-u4').get('/session/status')).body.data.jid).toBe('15554445555:12@s.whatsapp.net');
    expect((await wuz(sim, 'tok-u4').post('/session/logout')).status).toBe(200);
    expect((await wuz(sim, 'tok-u4').get('/session/status')).body.data).toMatchObject({ connected: false, loggedIn: false });
  });
});

describe('WuzAPI webhooks', () => {
  it('when a contact writes (form format), then jsonData carries Message and x-hmac-signature is HMAC-SHA256 of the raw body', async () => {
    await loggedIn('w1');
    const r = await control(sim).post('/sessions/w1/inbound', { from: '15550009999', body: 'hola', pushName: 'Bo' });
    const msg = await until(() => hook.received.find((x) => x.path === '/wuz/w1' && decode(x).type === 'Message'));
    expect(msg.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(msg.headers['x-hmac-signature']).toBe(createHmac('sha256', HMAC).update(msg.raw).digest('hex'));
    const m = decode(msg);
    expect(m.instanceName).toBe('w1');
    expect(m.event.Info).toMatchObject({ Chat: '15550009999@s.whatsapp.net', Sender: '15550009999@s.whatsapp.net', IsFromMe: false, IsGroup: false, ID: r.body.id, PushName: 'Bo' });
    expect(m.event.Info.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(m.event.Message).toEqual({ conversation: 'hola' });
  });

  it('when a text holds * ~ and spaces, then the form body is Go-encoded (%2A, ~, +) with sorted keys and the signature covers those bytes', async () => {
    await loggedIn('wgo');
    await control(sim).post('/sessions/wgo/inbound', { from: '15550009990', body: 'a *b* ~c~ <d> & e' });
    const msg = await until(() => hook.received.find((x) => x.path === '/wuz/wgo' && decode(x).type === 'Message'));
    expect(msg.raw).toMatch(/^instanceName=wgo&jsonData=.*&userID=[0-9a-f]+$/);
    expect(msg.raw).toContain('a+%2Ab%2A+~c~+%5Cu003cd%5Cu003e+%5Cu0026+e');
    expect(msg.raw).not.toContain('*');
    expect(msg.headers['x-hmac-signature']).toBe(createHmac('sha256', HMAC).update(msg.raw).digest('hex'));
    expect(decode(msg).event.Message.conversation).toBe('a *b* ~c~ <d> & e');
  });

  it('when switched to json format, then a flat JSON body with type, event, userID and a valid signature', async () => {
    await loggedIn('w2');
    await control(sim).post('/settings', { wuzapiWebhookFormat: 'json' });
    const data = Buffer.from('img').toString('base64');
    await control(sim).post('/sessions/w2/inbound', { from: '15550008888', body: 'cap', media: { mimetype: 'image/jpeg', data } });
    const msg = await until(() => hook.received.find((x) => x.path === '/wuz/w2' && x.headers['content-type'] === 'application/json' && JSON.parse(x.raw).type === 'Message'));
    expect(msg.headers['x-hmac-signature']).toBe(createHmac('sha256', HMAC).update(msg.raw).digest('hex'));
    const m = JSON.parse(msg.raw);
    expect(m).toMatchObject({ type: 'Message', base64: data, mimeType: 'image/jpeg', instanceName: 'w2' });
    expect(m.userID).toBeTruthy();
    expect(m.event.Message.imageMessage.caption).toBe('cap');
  });

  it('when the user has no hmacKey, then no signature header is sent', async () => {
    await createUser('w3', { hmacKey: '' });
    await wuz(sim, 'tok-w3').post('/session/connect', { Subscribe: ['QR'], Immediate: true });
    await until(() => events('w3').some((e) => e.type === 'QR'));
    expect(hook.received.find((x) => x.path === '/wuz/w3')!.headers['x-hmac-signature']).toBeUndefined();
  });

  it('when the gateway sends text, then {Details, Timestamp, Id} and no webhook echo; a read ack posts ReadReceipt', async () => {
    await loggedIn('w4');
    const r = await wuz(sim, 'tok-w4').post('/chat/send/text', { Phone: '+15550007777', Body: 'out' });
    expect(r.body.data).toMatchObject({ Details: 'Sent', Id: expect.any(String) });
    expect(Math.abs(r.body.data.Timestamp - Date.now() / 1000)).toBeLessThan(5);
    await control(sim).post('/sessions/w4/ack', { messageId: r.body.data.Id, ack: 'READ' });
    const receipt = await until(() => events('w4').find((e) => e.type === 'ReadReceipt'));
    expect(receipt).toMatchObject({ state: 'Read', event: { Chat: '15550007777@s.whatsapp.net', MessageIDs: [r.body.data.Id] } });
    await sim.webhooksIdle();
    expect(events('w4').filter((e) => e.type === 'Message')).toHaveLength(0);
    const sent = (await control(sim).get('/sessions/w4/sent')).body;
    expect(sent[0]).toMatchObject({ kind: 'text', messageId: r.body.data.Id });
  });

  it('when the phone logs out, then LoggedOut is posted', async () => {
    await loggedIn('w5');
    await control(sim).post('/sessions/w5/logout');
    const lo = await until(() => events('w5').find((e) => e.type === 'LoggedOut'));
    expect(lo.event).toMatchObject({ OnConnect: false });
  });
});

describe('WuzAPI reading', () => {
  it('when history is filled, then HistorySync arrives after login (FULL, ID/remoteJID, progress 100) and the index maps every user to their chats', async () => {
    await createUser('r1');
    await createUser('r0');
    await control(sim).post('/sessions/r0/history', { chats: 1, messagesPerChat: 2 });
    await control(sim).post('/sessions/r1/history', { chats: 2, messagesPerChat: 30 });
    for (const name of ['r0', 'r1']) {
      await wuz(sim, `tok-${name}`).post('/session/connect', { Subscribe: ['All'], Immediate: true });
      await until(async () => (await wuz(sim, `tok-${name}`).get('/session/qr')).body.data?.QRCode);
      await control(sim).post(`/sessions/${name}/scan`);
    }
    const sync = await until(() => events('r1').find((e) => e.type === 'HistorySync'));
    expect(sync.event.Data).toMatchObject({ syncType: 2, progress: 100, chunkOrder: 1 });
    const convs = sync.event.Data.conversations;
    expect(convs.reduce((n: number, c: { messages: unknown[] }) => n + c.messages.length, 0)).toBe(60);
    expect(convs[0].messages[0].message.key).toMatchObject({ remoteJID: convs[0].ID, ID: expect.any(String) });

    const status = (await wuz(sim, 'tok-r1').get('/session/status')).body.data;
    const r0 = (await wuz(sim, 'tok-r0').get('/session/status')).body.data;
    const index = (await wuz(sim, 'tok-r1').get('/chat/history?chat_jid=index&limit=1')).body.data;
    expect(Object.keys(index).sort()).toEqual([status.id, r0.id].sort()); // every user of the server, whoever asks
    expect(index[status.id]).toHaveLength(2); // limit is not read for the index
    expect(index[status.id][0]).toEqual({ chat_jid: expect.stringMatching(/@s\.whatsapp\.net$/), last_updated: expect.any(String) });

    const jid = index[status.id][0].chat_jid;
    const page1 = (await wuz(sim, 'tok-r1').get(`/chat/history?chat_jid=${jid}&limit=20`)).body.data;
    const again = (await wuz(sim, 'tok-r1').get(`/chat/history?chat_jid=${jid}&limit=20&offset=20`)).body.data;
    expect(page1).toHaveLength(20);
    expect(again.map((m: { message_id: string }) => m.message_id)).toEqual(page1.map((m: { message_id: string }) => m.message_id)); // no offset
    expect((await wuz(sim, 'tok-r1').get(`/chat/history?chat_jid=${jid}`)).body.data).toHaveLength(30); // limit 50 by default
    const row = page1[0];
    const data = JSON.parse(row.data_json);
    expect(data.Info).toMatchObject({ Chat: jid, ID: row.message_id });
    expect(Date.parse(data.Info.Timestamp)).toBeLessThan(Date.parse(row.timestamp)); // row time = saved time
    expect((await wuz(sim, 'tok-r1').get('/chat/history?chat_jid=19999999999@s.whatsapp.net')).body).toEqual({ code: 200, data: null, success: true });

    const sent = await wuz(sim, 'tok-r1').post('/chat/send/text', { Phone: jid, Body: 'from the API' });
    const newest = (await wuz(sim, 'tok-r1').get(`/chat/history?chat_jid=${jid}&limit=1`)).body.data[0];
    expect(newest).toMatchObject({ message_id: sent.body.data.Id, sender_jid: 'me', data_json: '', text_content: 'from the API' });

    const contacts = (await wuz(sim, 'tok-r1').get('/user/contacts')).body.data;
    expect(Object.keys(contacts)).toHaveLength(2);
    const check = (await wuz(sim, 'tok-r1').post('/user/check', { Phone: ['+15551112222', '99912345678'] })).body.data.Users;
    expect(check.map((u: { IsInWhatsapp: boolean }) => u.IsInWhatsapp)).toEqual([true, false]);
  });

  it('when history is disabled for the user, then /chat/history answers 501', async () => {
    await createUser('r2', { history: 0 });
    const r = await wuz(sim, 'tok-r2').get('/chat/history?chat_jid=index');
    expect(r.status).toBe(501);
    expect(r.body).toEqual({ code: 501, error: 'message history is disabled for this user', success: false });
  });
});

describe('WuzAPI sending media', () => {
  it('when a document is sent as data:<real type>, then 400; as data:application/octet-stream with MimeType, then it is sent with that type', async () => {
    await loggedIn('d1');
    const data = Buffer.from('%PDF-1.4').toString('base64');
    const bad = await wuz(sim, 'tok-d1').post('/chat/send/document', { Phone: '15550006666', Document: `data:application/pdf;base64,${data}`, FileName: 'a.pdf' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('document data should start with "data:application/octet-stream;base64,"');
    const good = await wuz(sim, 'tok-d1').post('/chat/send/document', { Phone: '15550006666', Document: `data:application/octet-stream;base64,${data}`, FileName: 'a.pdf', MimeType: 'application/pdf' });
    expect(good.status).toBe(200);
    const u = [...sim.store.wuzapi.values()].find((x) => x.name === 'd1')!;
    expect(u.account.byId.get(good.body.data.Id)!.media).toMatchObject({ mimetype: 'application/pdf', filename: 'a.pdf' });
  });
});
