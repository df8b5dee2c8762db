// Every request body the WAHA adapter sends validates against the loosened WAHA OpenAPI document
// (recorded on the wire by a proxy in front of the simulator). Skipped — never passed — without the document.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWahaContractPath, loadWahaContract, type RunningSim } from 'engine-sim';
import type { EngineSession } from '../../src/features/engines/engine.types.js';
import { HMAC_KEY, control, registryFor, startRecorder, startSim, until, type Recorder } from './sim-harness.js';

const contract = loadWahaContract();
const absent = contract === null;

/** Concrete path → the document's template ("/api/sessions/dev_x" → "/api/sessions/{session}"); literal segments win. */
function templateMatcher(): (path: string) => string | null {
  const doc = JSON.parse(readFileSync(defaultWahaContractPath(), 'utf8')) as { paths: Record<string, unknown> };
  const templates = Object.keys(doc.paths)
    .map((t) => ({ t, params: (t.match(/\{/g) ?? []).length, re: new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
    .sort((a, b) => a.params - b.params);
  return (path) => templates.find((x) => x.re.test(path.split('?')[0]!))?.t ?? null;
}

describe('WAHA adapter contract (loosened OpenAPI 2026.7.1)', () => {
  let sim: RunningSim;
  let rec: Recorder;

  beforeAll(async () => {
    if (absent) return;
    sim = await startSim();
    rec = await startRecorder(sim.url);
    const reg = registryFor(sim, {}, { waha: rec.url });
    const waha = reg.adapter('waha');
    const s: EngineSession = { engine: 'waha', session: reg.sessionNameFor('waha', crypto.randomUUID()) };
    const input = { webhookUrl: 'http://127.0.0.1:9/hook', hmacKey: HMAC_KEY, metadata: { deviceId: 'd1' } };
    await waha.createSession(s, input);
    await waha.createSession(s, input); // exists: PUT + start
    await until(async () => (await waha.getQr(s)).qr, 3000);
    await waha.requestPairingCode(s, '15551110000');
    await control(sim).post(`/sessions/${s.session}/scan`);
    const inbound = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15551110001', body: 'hi' });
    const group = await control(sim).post(`/sessions/${s.session}/inbound`, { from: '15551110002', body: 'g', group: true });
    await waha.sendText(s, { chatJid: '15551110001@s.whatsapp.net', text: 'plain' });
    await waha.sendText(s, { chatJid: '15551110001@s.whatsapp.net', text: 'reply', replyTo: { id: inbound.shortId, fromMe: false } });
    await waha.sendText(s, { chatJid: '120363000000000001@g.us', text: 'g reply', replyTo: { id: group.shortId, fromMe: false, senderJid: '15551110002@s.whatsapp.net' } });
    await waha.markSeen(s, '15551110001@s.whatsapp.net', [{ id: inbound.shortId }]);
    await waha.markSeen(s, '120363000000000001@g.us', [{ id: group.shortId, senderJid: '15551110002@s.whatsapp.net' }]);
    await waha.listChats(s, { offset: 0, limit: 10 });
    await waha.listMessages(s, '15551110001@s.whatsapp.net', { offset: 0, limit: 10 });
    await waha.listContacts(s);
    await waha.listLids(s);
    await waha.logout(s);
    await waha.deleteSession(s);
  });
  afterAll(async () => {
    await rec?.close();
    await sim?.close();
  });

  it.skipIf(absent)('when the adapter runs its whole lifecycle, then every request body it sends matches its operation in the document', () => {
    const templateOf = templateMatcher();
    const withBody = rec.requests.filter((r) => r.body !== undefined);
    const covered = new Set<string>();
    for (const r of rec.requests) {
      const template = templateOf(r.path);
      expect(template, `${r.method} ${r.path} is not in the document`).not.toBeNull();
    }
    for (const r of withBody) {
      const template = templateOf(r.path)!;
      const result = contract!.validateRequestBody(r.method, template, r.body);
      expect(result.errors, `${r.method} ${template}: ${result.errors.join('; ')}`).toEqual([]);
      covered.add(`${r.method} ${template}`);
    }
    expect([...covered].sort()).toEqual([
      'POST /api/sendSeen', 'POST /api/sendText', 'POST /api/sessions', 'POST /api/{session}/auth/request-code', 'PUT /api/sessions/{session}',
    ]);
  });

  it.skipIf(absent)('when a body misses a required field or has a wrong type, then validation fails', () => {
    expect(contract!.validateRequestBody('POST', '/api/sendText', { session: 's', text: 'no chat' }).ok).toBe(false);
    expect(contract!.validateRequestBody('POST', '/api/sendText', { session: 's', chatId: 1, text: 'x' }).ok).toBe(false);
    expect(contract!.validateRequestBody('POST', '/api/sessions', { name: 's', config: { noweb: { store: { enabled: true, fullSync: true } } } }).ok).toBe(false); // markOnline is required
    expect(contract!.validateRequestBody('POST', '/api/sendText', { session: 's', chatId: '1@c.us', text: 'x' }).ok).toBe(true);
  });
});
