// Shared by the outbox and media tests: a simulator + gateway with short outbox timings, connected devices, helpers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEngineEnv, eventually, control, type EngineEnv } from '../support/engine-env.js';

export const FAST = { OUTBOX_RETRY_BASE_MS: '40', OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_POLL_MS: '50' };

export async function startOutboxEnv(extra: Record<string, string> = {}): Promise<EngineEnv & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-media-'));
  const env = await startEngineEnv({ ...FAST, DATA_DIR: dataDir, ...extra });
  return Object.assign(env, { dataDir });
}

export interface Device {
  id: string;
  engineSession: string;
  engine: 'waha' | 'wuzapi';
}

let phones = 0;
export async function connectedDevice(env: EngineEnv, engine: 'waha' | 'wuzapi', token = env.owner.token): Promise<Device> {
  const d = (await env.http.post('/api/devices', { token, body: { name: `Out ${engine}`, engine } })).body;
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: `49301${String(++phones).padStart(6, '0')}` } });
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}`, { token })).body.status === 'connected', 10_000, 'connected');
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/sync`, { token })).body?.status === 'done', 10_000, 'import');
  return { id: d.id, engineSession: d.engineSession, engine };
}

/** A contact writes to the device: the chat (and that message) exist in the gateway afterwards. */
export async function inboundChat(env: EngineEnv, d: Device, from: string, body = 'hello from a contact', extra: Record<string, unknown> = {}) {
  const r = await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from, body, pushName: 'Contact', ...extra } });
  const jid = `${from.replace(/\D/g, '')}@s.whatsapp.net`;
  const m = await eventually<any>(
    async () => env.t.db('messages as m').join('chats as c', 'c.id', 'm.chat_id').where({ 'c.device_id': d.id, 'c.jid': jid, 'm.engine_message_id': r.body.shortId }).first('m.*'),
    10_000,
    'inbound message stored',
  );
  return { chatId: Number(m.chat_id), messageId: Number(m.id), engineId: r.body.shortId as string, message: m as { id: number; chat_id: number } };
}

export const sentBy = async (env: EngineEnv, d: Device) => (await control(env.sim).get(`/sessions/${d.engineSession}/sent`)).body as { kind: string; messageId: string | null; request: Record<string, any> }[];

/** Sends of a text (kind text) carrying `text`, as the simulator recorded them. */
export async function sendsOf(env: EngineEnv, d: Device, text: string) {
  return (await sentBy(env, d)).filter((s) => (s.request.text ?? s.request.Body) === text);
}

export const faults = (env: EngineEnv, f: Record<string, unknown>) => control(env.sim).post('/faults', { body: f });

export async function messageRow(env: EngineEnv, id: number) {
  return env.t.db('messages').where({ id }).first();
}

export async function waitStatus(env: EngineEnv, id: number, status: string, ms = 10_000) {
  return eventually(async () => {
    const m = await messageRow(env, id);
    return m?.status === status ? m : undefined;
  }, ms, `message ${id} ${status}`);
}
