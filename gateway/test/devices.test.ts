import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, type EngineEnv } from './support/engine-env.js';
import { makeUser } from './support/factories.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env.close());

/**
 * Holds the device's webhooks at the relay (until `release()`), once those already on their way are
 * in: the engine keeps posting (a status every QR rotation), the gateway hears none of it meanwhile.
 */
async function quietDevice(deviceId: string) {
  const mine = (d: { path: string }) => d.path.includes(deviceId);
  const hold = env.relay.hold(mine);
  await env.relay.settled(mine);
  return hold;
}

const count = async (table: string, where: Record<string, unknown>) => Number((await env.t.db(table).where(where).count<{ c: number }[]>('* as c'))[0]!.c);

for (const engine of ['waha', 'wuzapi'] as const) {
  describe(`pairing and history import over ${engine}`, () => {
    it('when a device is created, shown its QR, scanned and connected, then its whole history is imported with the simulator’s counts', async () => {
      const { http, owner, sim } = env;
      const created = await http.post('/api/devices', { token: owner.token, body: { name: `Sales ${engine}`, engine } });
      expect(created.status).toBe(201);
      const device = created.body;
      expect(device).toMatchObject({ engine, status: 'starting', access: 'owner' });
      expect(device.engineSession).toBeTruthy();
      expect(JSON.stringify(device)).not.toMatch(/webhook_secret|engine_token/);

      // The engine got our webhook URL and a per-device HMAC key.
      const simSession = sim.session(device.engineSession) as { webhooks?: { url: string; hmacKey?: string | null }[]; webhook?: string };
      expect(JSON.stringify(simSession)).toContain(`/webhooks/${engine}/${device.id}`);
      const secret = (await env.t.db('devices').where({ id: device.id }).first()).webhook_secret;
      expect(JSON.stringify(simSession)).toContain(secret);

      const qr1 = await eventually(async () => {
        const r = await http.get(`/api/devices/${device.id}/qr`, { token: owner.token });
        return r.status === 200 && r.body.qr ? r.body : undefined;
      }, 30_000, 'a QR');
      expect(qr1.status).toBe('qr');
      if (engine === 'waha') {
        // The engine rotates its QR (every 400 ms here); the API follows. Each look asks the engine
        // (2 s timeout): on a busy machine some looks time out, so the bound is generous.
        await eventually(async () => (sim.session(device.engineSession) as { qr?: string | null }).qr, 30_000, 'the engine showing a QR');
        await eventually(async () => {
          const r = await http.get(`/api/devices/${device.id}/qr`, { token: owner.token });
          return r.body.qr && r.body.qr !== qr1.qr;
        }, 30_000, 'a rotated QR');
      }

      const filled = await control(sim).post(`/sessions/${device.engineSession}/history`, { body: { chats: 6, messagesPerChat: 45 } });
      expect(filled.status).toBe(200);
      const scan = await control(sim).post(`/sessions/${device.engineSession}/scan`, { body: { phone: '4915112345678' } });
      expect(scan.status).toBe(200);

      await eventually(async () => (await http.get(`/api/devices/${device.id}`, { token: owner.token })).body.status === 'connected', 30_000, 'connected');
      const job = await eventually(async () => {
        const r = await http.get(`/api/devices/${device.id}/sync`, { token: owner.token });
        return r.body?.status === 'done' ? r.body : undefined;
      }, 60_000, 'import done');
      expect(job.doneChats).toBe(6);
      expect(job.totalChats).toBe(6);
      expect(job.doneMessages).toBe(270);
      expect(await count('messages', { device_id: device.id })).toBe(270);
      expect(await count('chats', { device_id: device.id })).toBe(6);
      expect(await count('messages', { device_id: device.id, direction: 'out' })).toBe(90);
      // History is old news: nothing imported (or pushed by the engine as HistorySync) is unread.
      expect(await count('chats', { device_id: device.id, unread_count: 0 })).toBe(6);
      const chat = await env.t.db('chats').where({ device_id: device.id }).orderBy('jid').first();
      expect(chat.last_message_at).toBeTruthy();
      expect(chat.name).toMatch(/History Contact/);
      const dev = (await http.get(`/api/devices/${device.id}`, { token: owner.token })).body;
      expect(dev.phone).toBe('+4915112345678');

      // A live message after the import is stored once, in the same chat list.
      const sent = await control(sim).post(`/sessions/${device.engineSession}/inbound`, { body: { from: '4917000000001', body: 'hello after import', pushName: 'Late Larry' } });
      expect(sent.status).toBe(200);
      await eventually(async () => (await count('messages', { device_id: device.id, body: 'hello after import' })) === 1, 30_000, 'live message');
      await sim.webhooksIdle(5_000);
      expect(await count('messages', { device_id: device.id, body: 'hello after import' })).toBe(1);
      const live = await env.t.db('chats').where({ device_id: device.id, jid: '4917000000001@s.whatsapp.net' }).first();
      expect(live).toMatchObject({ unread_count: 1, name: 'Late Larry' });

      // Importing again changes nothing.
      const again = await http.post(`/api/devices/${device.id}/sync`, { token: owner.token });
      expect(again.status).toBe(202);
      await eventually(async () => {
        const r = await http.get(`/api/devices/${device.id}/sync`, { token: owner.token });
        return r.body.id !== job.id && r.body.status === 'done' ? r.body : undefined;
      }, 60_000, 'second import');
      expect(await count('messages', { device_id: device.id })).toBe(271);

      // Logout keeps the history; delete removes the engine session.
      expect((await http.post(`/api/devices/${device.id}/logout`, { token: owner.token })).status).toBe(204);
      expect((await http.get(`/api/devices/${device.id}`, { token: owner.token })).body.status).toBe('logged_out');
      expect(await count('messages', { device_id: device.id })).toBe(271);
      expect((await http.del(`/api/devices/${device.id}`, { token: owner.token })).status).toBe(204);
      expect((await control(sim).get(`/sessions/${device.engineSession}`)).status).toBe(404);
      expect((await http.get(`/api/devices/${device.id}`, { token: owner.token })).status).toBe(404);
    }, 240_000);
  });
}

describe('devices', () => {
  it('when the engine is down, then creating a device is 503 engine_unreachable and nothing is kept', async () => {
    const before = await count('devices', { org_id: env.org.id });
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const r = await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Down' } });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('engine_unreachable');
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
    expect(await count('devices', { org_id: env.org.id })).toBe(before);
  });

  it('when the engine is slow beyond the timeout, then 504 engine_timeout', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Slow' } })).body;
    await control(env.sim).post('/faults', { body: { latencyMs: 3_000 } });
    try {
      const r = await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token });
      expect(r.status).toBe(504);
      expect(r.body.error.code).toBe('engine_timeout');
    } finally {
      await control(env.sim).post('/faults', { body: { latencyMs: 0 } });
    }
  }, 20_000);

  it('when a pairing code is asked for a phone number, then the engine’s code comes back; a bad number is 400', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Code' } })).body;
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.status === 'qr');
    const r = await env.http.post(`/api/devices/${d.id}/pairing-code`, { token: env.owner.token, body: { phone: '+49 151 1234-5678' } });
    expect(r.status).toBe(200);
    expect(r.body.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const bad = await env.http.post(`/api/devices/${d.id}/pairing-code`, { token: env.owner.token, body: { phone: 'call me' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('phone');
  });

  it('when people other than the owner act on a device, then members see it, strangers and other orgs get 404, viewers cannot create', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Shared number' } })).body;
    const agent = await makeUser(env.t.db, env.org.id, 'editor');
    const stranger = await makeUser(env.t.db, env.org.id, 'editor');
    const viewer = await makeUser(env.t.db, env.org.id, 'viewer');
    const admin = await makeUser(env.t.db, env.org.id, 'admin');
    const [agentTok, strangerTok, viewerTok, adminTok] = await Promise.all([agent, stranger, viewer, admin].map((u) => env.login(u.email)));
    const add = await env.http.post(`/api/devices/${d.id}/members`, { token: env.owner.token, body: { userId: agent.id, role: 'agent' } });
    expect(add.status).toBe(200);
    expect(add.body.items.map((m: { userId: string }) => m.userId)).toEqual([agent.id]);
    expect((await env.http.get(`/api/devices/${d.id}`, { token: agentTok })).body.access).toBe('agent');
    expect((await env.http.get(`/api/devices/${d.id}`, { token: strangerTok })).status).toBe(404);
    expect((await env.http.get('/api/devices', { token: strangerTok })).body.items.find((x: { id: string }) => x.id === d.id)).toBeUndefined();
    expect((await env.http.get(`/api/devices/${d.id}`, { token: adminTok })).body.access).toBe('admin');
    expect((await env.http.get(`/api/devices/${d.id}/qr`, { token: agentTok })).status).toBe(403);
    expect((await env.http.get(`/api/devices/${d.id}/qr`, { token: adminTok })).status).toBe(403);
    expect((await env.http.post(`/api/devices/${d.id}/members`, { token: agentTok, body: { userId: stranger.id, role: 'viewer' } })).status).toBe(403);
    expect((await env.http.post('/api/devices', { token: viewerTok, body: { name: 'Nope' } })).status).toBe(403);
    expect((await env.http.del(`/api/devices/${d.id}/members/${agent.id}`, { token: env.owner.token })).status).toBe(204);
    expect((await env.http.get(`/api/devices/${d.id}`, { token: agentTok })).status).toBe(404);
    const audit = await env.t.db('audit_log').where({ target_id: d.id }).pluck('action');
    expect(audit).toEqual(expect.arrayContaining(['device.create', 'device.member.set', 'device.member.remove']));
  });

  it('when the engine says otherwise than the gateway believes, then reconcile corrects the status', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Drift' } })).body;
    // The engine settles on showing a QR; then its webhooks (a status every QR rotation) wait at the
    // relay, so only the reconcile can change the status below.
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 30_000, 'a QR');
    const webhooks = await quietDevice(d.id);
    try {
      await env.t.db('devices').where({ id: d.id }).update({ status: 'connected' });
      const r = await env.t.services.devices.reconcile();
      expect(r.corrected).toBeGreaterThanOrEqual(1);
      const status = (await env.http.get(`/api/devices/${d.id}`, { token: env.owner.token })).body.status;
      expect(['qr', 'starting']).toContain(status);
      const events = await env.t.db('events').where({ device_id: d.id, type: 'device.status' }).orderBy('id', 'desc').pluck('data');
      expect(events).toContainEqual(expect.objectContaining({ previous: 'connected' }));
    } finally {
      webhooks.release();
    }
  }, 60_000);

  it('when a device turned connected without its number (QR polling) learns it from the status webhook, then a device.status event carries the number', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Number later' } })).body;
    // The engine settles on showing a QR; then its webhooks wait at the relay, so only the calls below change this device.
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 30_000, 'a QR');
    const webhooks = await quietDevice(d.id);
    try {
      const row = await env.t.db('devices').where({ id: d.id }).first();
      const connected = await env.t.services.devices.applyState(row, { status: 'connected', jid: null, pushName: null });
      await env.t.services.devices.applyState(connected, { status: 'connected', jid: '4930555000111@s.whatsapp.net', pushName: 'Front desk' });
      const [last] = await env.t.db('events').where({ device_id: d.id, type: 'device.status' }).orderBy('id', 'desc').limit(1).pluck('data');
      expect(last).toMatchObject({ status: 'connected', previous: 'connected', phone: '+4930555000111', pushName: 'Front desk' });
      expect((await env.http.get(`/api/devices/${d.id}`, { token: env.owner.token })).body).toMatchObject({ phone: '+4930555000111', pushName: 'Front desk' });
    } finally {
      webhooks.release();
    }
  }, 60_000);

  it('when the body is invalid, then 400 names the fields', async () => {
    const r = await env.http.post('/api/devices', { token: env.owner.token, body: { name: '', engine: 'telegram' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((x: { field: string }) => x.field).sort()).toEqual(['engine', 'name']);
  });
});
