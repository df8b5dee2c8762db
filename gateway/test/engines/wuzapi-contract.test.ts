// The WuzAPI adapter's requests against the real handlers' structs (fixtures from asternic/wuzapi
// handlers.go at upstream 30c1805, in engine-sim/src/contract/wuzapi-handlers.ts), as the WAHA
// adapter's are checked against the OpenAPI document: every request it sends on the wire conforms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWuzapiRequest, WUZAPI_REQUESTS, type RunningSim } from 'engine-sim';
import type { EngineSession } from '../../src/features/engines/engine.types.js';
import { HMAC_KEY, control, deviceId, registryFor, startRecorder, startSim, until, type Recorder } from './sim-harness.js';

describe('WuzAPI adapter requests against the handlers', () => {
  let sim: RunningSim;
  let rec: Recorder;
  beforeAll(async () => {
    sim = await startSim();
    rec = await startRecorder(sim.url);
  });
  afterAll(async () => {
    await rec?.close();
    await sim?.close();
  });

  it('when a device is created, paired, sends text, image, audio and a document, marks read and imports history, then every request fits its handler', async () => {
    const wuz = registryFor(sim, {}, { wuzapi: `${rec.url}/wuzapi` }).adapter('wuzapi');
    const base: EngineSession = { engine: 'wuzapi', session: `dev_${deviceId().replace(/-/g, '')}` };
    const created = await wuz.createSession(base, { webhookUrl: 'http://127.0.0.1:9/hook', hmacKey: HMAC_KEY });
    const s = { ...base, token: created.token ?? null, engineRef: created.engineRef ?? null };
    await until(async () => (await wuz.getQr(s)).qr, 3000, 'QR');
    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15558007000' });
    await control(sim).post(`/sessions/${s.session}/history`, { chats: 2, messagesPerChat: 3 });
    const chat = '15558007001@s.whatsapp.net';
    const text = await wuz.sendText(s, { chatJid: chat, text: 'hi' });
    await wuz.sendText(s, { chatJid: chat, text: 're', replyTo: { id: text.id!, fromMe: true } });
    await wuz.sendMedia(s, { chatJid: chat, kind: 'image', mimetype: 'image/png', filename: 'a.png', data: Buffer.from('png'), caption: 'c' });
    await wuz.sendMedia(s, { chatJid: chat, kind: 'audio', mimetype: 'audio/ogg', filename: 'a.ogg', data: Buffer.from('ogg') });
    await wuz.sendMedia(s, { chatJid: chat, kind: 'document', mimetype: 'application/pdf', filename: 'a.pdf', data: Buffer.from('%PDF') });
    await wuz.markSeen(s, chat, [{ id: text.id! }]);
    for (const c of await wuz.listChats(s, { offset: 0, limit: 50 })) await wuz.listMessages(s, c.jid, { offset: 0, limit: 10 });

    const checked = rec.requests.map((r) => ({ ...r, path: r.path.replace(/^\/wuzapi/, '').split('?')[0]! }));
    const covered = new Set(checked.filter((r) => WUZAPI_REQUESTS.some((f) => f.method === r.method && f.path === r.path)).map((r) => `${r.method} ${r.path}`));
    expect([...covered].sort()).toEqual(['POST /admin/users', 'POST /chat/markread', 'POST /chat/send/audio', 'POST /chat/send/document', 'POST /chat/send/image', 'POST /chat/send/text', 'POST /session/connect']);
    expect(checked.flatMap((r) => checkWuzapiRequest(r.method, r.path, r.body))).toEqual([]);
    const history = rec.requests.filter((r) => r.path.startsWith('/wuzapi/chat/history'));
    expect(history.length).toBeGreaterThan(1);
    expect(history.every((r) => !/[?&]offset=/.test(r.path))).toBe(true); // the handler has no offset
  });
});
