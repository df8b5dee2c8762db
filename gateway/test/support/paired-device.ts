// Shared setup of the tests that post signed engine webhooks themselves: a device paired through the
// simulator (its first import settled, its own webhooks idle) and the secret that signs for it.
import { control, eventually, type EngineEnv } from './engine-env.js';

export interface PairedDevice {
  id: string;
  engineSession: string;
  secret: string;
  orgId: string;
  status: string;
}

/** Creates a device, scans its QR as `phone`, waits for connected, the import and idle webhooks. */
export async function pairedDevice(env: EngineEnv, engine: 'waha' | 'wuzapi', phone: string, name = `Paired ${engine} ${phone}`): Promise<PairedDevice> {
  const get = (path: string) => env.http.get(path, { token: env.owner.token });
  const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name, engine } })).body;
  // Generous bounds: each look is quick once it holds, and a loaded machine needs them.
  await eventually(async () => (await get(`/api/devices/${d.id}/qr`)).body.qr, 20_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone } });
  await eventually(async () => (await get(`/api/devices/${d.id}`)).body.status === 'connected', 20_000, 'connected');
  await eventually(async () => ['done', 'failed', undefined].includes((await get(`/api/devices/${d.id}/sync`)).body?.status), 20_000, 'import');
  await env.sim.webhooksIdle(5_000);
  const row = await env.t.db('devices').where({ id: d.id }).first();
  return { id: d.id, engineSession: d.engineSession, secret: row.webhook_secret, orgId: row.org_id, status: row.status };
}

/** Deterministic shuffle (a linear congruential generator), so a failure can be replayed. */
export function shuffled<T>(xs: T[], seed = 7): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
