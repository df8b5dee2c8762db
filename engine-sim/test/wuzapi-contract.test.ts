// The simulator's WuzAPI face against fixtures taken from the real handlers (each names its handler
// file and commit; see src/contract/wuzapi-handlers.ts) and from what users reported in public issues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSim, startSimulator } from '../src/index.js';
import { ANSWERS, checkHistorySync, checkRequest } from '../src/contract/wuzapi-handlers.js';
import { admin, control, wuz } from './support/clients.js';
import { type Receiver, startReceiver, until } from './support/receiver.js';

let sim: RunningSim;
let hook: Receiver;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, qrRotateMs: 150, webhookRetry: { attempts: 2, delayMs: 20 } });
  hook = await startReceiver();
});
afterAll(async () => {
  await sim.close();
  await hook.close();
});

describe('WuzAPI face against the handlers', () => {
  it('when the simulator is driven as the gateway drives it, then every answer and HistorySync webhook has the handlers\' shape', async () => {
    const userBody = { name: 'c1', token: 'tok-c1', webhook: `${hook.url}/c1`, events: 'HistorySync,Message', hmacKey: 'h'.repeat(40), history: 100 };
    expect(checkRequest('POST', '/admin/users', userBody)).toEqual([]);
    const created = await admin(sim).post('/admin/users', userBody);
    expect(ANSWERS.addUser!.check(created.status, created.body)).toEqual([]);
    const dup = await admin(sim).post('/admin/users', { ...userBody, name: 'other' });
    expect(ANSWERS.duplicateToken!.check(dup.status, dup.body)).toEqual([]);

    await control(sim).post('/sessions/c1/history', { chats: 2, messagesPerChat: 3 });
    await wuz(sim, 'tok-c1').post('/session/connect', { Subscribe: ['HistorySync', 'Message'], Immediate: true });
    await until(async () => (await wuz(sim, 'tok-c1').get('/session/qr')).body.data?.QRCode);
    await control(sim).post('/sessions/c1/scan');
    const push = await until(() => hook.received.find((r) => r.path === '/c1' && new URLSearchParams(r.raw).get('jsonData')?.includes('"HistorySync"')));
    expect(checkHistorySync(JSON.parse(new URLSearchParams(push.raw).get('jsonData')!))).toEqual([]);

    const index = await wuz(sim, 'tok-c1').get('/chat/history?chat_jid=index');
    expect(ANSWERS.historyIndex!.check(index.status, index.body)).toEqual([]);
    const me = (await wuz(sim, 'tok-c1').get('/session/status')).body.data.id;
    const jid = index.body.data[me][0].chat_jid;
    const rows = await wuz(sim, 'tok-c1').get(`/chat/history?chat_jid=${jid}&limit=2`);
    expect(ANSWERS.historyRows!.check(rows.status, rows.body)).toEqual([]);
    const empty = await wuz(sim, 'tok-c1').get('/chat/history?chat_jid=10000000000@s.whatsapp.net');
    expect(ANSWERS.historyRows!.check(empty.status, empty.body)).toEqual([]);

    const doc = { Phone: jid, Document: `data:application/octet-stream;base64,${Buffer.from('x').toString('base64')}`, FileName: 'a.pdf', MimeType: 'application/pdf' };
    expect(checkRequest('POST', '/chat/send/document', doc)).toEqual([]);
    const sent = await wuz(sim, 'tok-c1').post('/chat/send/document', doc);
    expect(ANSWERS.sent!.check(sent.status, sent.body)).toEqual([]);

    await admin(sim).post('/admin/users', { name: 'off', token: 'tok-off', history: 0 });
    const off = await wuz(sim, 'tok-off').get('/chat/history?chat_jid=index');
    expect(ANSWERS.historyOff!.check(off.status, off.body)).toEqual([]);
  });

  it('when answers stray from the handlers (the old array index, an offset, a document as data:application/pdf), then the fixtures catch it', () => {
    expect(ANSWERS.historyIndex!.check(200, { code: 200, data: [{ chat_jid: 'x', name: '', message_count: 1 }], success: true })).not.toEqual([]);
    expect(ANSWERS.historyOff!.check(400, { code: 400, error: 'message history is disabled for this user', success: false })).not.toEqual([]);
    expect(checkRequest('POST', '/chat/send/document', { Phone: '1', Document: 'data:application/pdf;base64,eA==', FileName: 'a.pdf' })).not.toEqual([]);
    expect(checkRequest('POST', '/session/connect', { Subscribe: 'Message', Immediate: true })).not.toEqual([]);
    expect(checkRequest('POST', '/admin/users', { name: 'a', token: 't', events: ['Message'] })).not.toEqual([]);
    expect(checkHistorySync({ type: 'HistorySync', event: { Data: { syncType: 'FULL', conversations: [{ id: 'x', messages: [] }] } } })).not.toEqual([]);
  });
});
