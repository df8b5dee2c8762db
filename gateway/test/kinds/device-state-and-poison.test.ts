import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, replay, type EngineEnv } from '../support/engine-env.js';
import { wahaDelivery, wahaMsg, wuzDelivery, wuzMsg } from './signed-deliveries.js';
import { pairedDevice } from '../support/paired-device.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env.close());

const connectedDevice = (engine: 'waha' | 'wuzapi', phone: string) => pairedDevice(env, engine, phone, `State ${engine} ${phone}`);

const getDevice = async (id: string) => (await env.http.get(`/api/devices/${id}`, { token: env.owner.token })).body;
const rejected = async (engine: string, reason: string) =>
  Number(new RegExp(`webhook_events_rejected_total\\{engine="${engine}",reason="${reason}"\\} (\\d+)`).exec(await (await fetch(`${env.t.url}/metrics`)).text())?.[1] ?? 0);

describe('one device-state model', () => {
  it('when WAHA reports PASSKEY_REQUIRED (a state the gateway does not know), then the device needs attention with the engine’s word, not a QR', async () => {
    const d = await connectedDevice('waha', '4930700000001');
    const r = await replay(env.t.url, wahaDelivery(d.id, d.secret, 'session.status', { status: 'PASSKEY_REQUIRED', statuses: [] }));
    expect(r.status).toBe(200);
    const dev = await getDevice(d.id);
    expect(dev).toMatchObject({ status: 'needs_attention', statusDetail: 'PASSKEY_REQUIRED', engineReachable: true });
    const [last] = await env.t.db('events').where({ device_id: d.id, type: 'device.status' }).orderBy('id', 'desc').limit(1).pluck('data');
    expect(last).toMatchObject({ status: 'needs_attention', statusDetail: 'PASSKEY_REQUIRED', previous: 'connected' });
    // Then WORKING again: connected, with the engine's word.
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'session.status', { status: 'WORKING', statuses: [] }));
    expect(await getDevice(d.id)).toMatchObject({ status: 'connected', statusDetail: 'WORKING' });
  });

  it('when the engine cannot be reached, then reconcile and engine calls mark it unreachable and keep the status; once back, reachable again', async () => {
    const d = await connectedDevice('waha', '4930700000002');
    const before = await getDevice(d.id);
    env.sim.faults({ down: true });
    try {
      await env.t.services.devices.reconcile();
      const down = await getDevice(d.id);
      expect(down).toMatchObject({ status: 'connected', engineReachable: false });
      expect(Date.parse(down.engineCheckedAt)).toBeGreaterThanOrEqual(Date.parse(before.engineCheckedAt ?? before.createdAt));
      const [last] = await env.t.db('events').where({ device_id: d.id, type: 'device.status' }).orderBy('id', 'desc').limit(1).pluck('data');
      expect(last).toMatchObject({ status: 'connected', engineReachable: false });
    } finally {
      env.sim.faults({ down: false });
    }
    // Any engine call that gets an answer (here the QR endpoint) says it is reachable again.
    await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token });
    await eventually(async () => (await getDevice(d.id)).engineReachable === true, 5_000, 'reachable again');
    expect((await getDevice(d.id)).status).toBe('connected');
  });

  it('when a WuzAPI session is logged out, then logged_out with the engine’s word', async () => {
    const d = await connectedDevice('wuzapi', '4930700000003');
    const r = await replay(env.t.url, wuzDelivery(d.id, d.secret, 'LoggedOut', { OnConnect: false, Reason: 401 }));
    expect(r.status).toBe(200);
    expect(await getDevice(d.id)).toMatchObject({ status: 'logged_out', statusDetail: 'LoggedOut' });
  });
});

describe('a correctly signed delivery is answered 2xx whatever its content', () => {
  it('when WAHA deliveries hold a NUL or lone surrogate in the id or text, or a timestamp of 1e308 or 2^53, then every one is 2xx and the good neighbours are stored', async () => {
    const d = await connectedDevice('waha', '4930700000004');
    const chat = '4915770000001@c.us';
    const sanitizedBefore = await rejected('waha', 'sanitized');
    const good = (n: number) => wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: `GOOD${n}`, from: chat, body: `good ${n}` }));
    const poisoned = [
      // An id with NUL: JSON.stringify writes \u0000, as the engine's JSON does.
      wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'BAD\u0000NUL', from: chat, body: 'id with nul' })),
      wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'BAD\uD800SUR', from: chat, body: 'id with a lone surrogate' })),
      wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'TEXTPOISON', from: chat, body: 'text \u0000 with \uDC00 poison' })),
      wahaDelivery(d.id, d.secret, 'message', { ...wahaMsg({ id: 'HUGETIME', from: chat, body: 'time 1e308' }), timestamp: 1e308 }, undefined),
      wahaDelivery(d.id, d.secret, 'message', { ...wahaMsg({ id: 'BIGTIME', from: chat, body: 'time 2^53' }), timestamp: 2 ** 53 }),
      wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: '   ', from: chat, body: 'blank id' })),
      wahaDelivery(d.id, d.secret, 'message', {}, undefined, '{"id":"evt_poison","event":"message","session":"x","payload":{"id":"false_1@c.us_X","timestamp":1e308,"body":"raw 1e308"}}'),
    ];
    const all = [good(1), ...poisoned.slice(0, 3), good(2), ...poisoned.slice(3), good(3)];
    const statuses = (await Promise.all(all.map((x) => replay(env.t.url, x)))).map((r) => r.status);
    expect(statuses.every((s) => s >= 200 && s < 300)).toBe(true);
    const rows = await env.t.db('messages').where({ device_id: d.id }).select('engine_message_id', 'body', 'sent_at');
    const bodies = rows.map((r) => r.body);
    expect(bodies).toEqual(expect.arrayContaining(['good 1', 'good 2', 'good 3', 'text  with  poison', 'time 1e308', 'time 2^53']));
    for (const r of rows) {
      expect(r.engine_message_id).not.toMatch(/[\u0000\uD800-\uDFFF\s]/);
      expect(new Date(r.sent_at).getFullYear()).toBeLessThan(2100);
    }
    expect(bodies).not.toContain('blank id');
    expect(await rejected('waha', 'sanitized')).toBeGreaterThan(sanitizedBefore);
  });

  it('when a WuzAPI HistorySync holds one poisoned message among good ones, then 2xx and the good ones are stored', async () => {
    const d = await connectedDevice('wuzapi', '4930700000005');
    const jid = '4915770000002@s.whatsapp.net';
    const item = (id: string, text: string, ts: unknown = Math.floor(Date.now() / 1000) - 60) => ({ message: { key: { remoteJID: jid, fromMe: false, ID: id }, message: { conversation: text }, messageTimestamp: ts } });
    const before = await rejected('wuzapi', 'event_unreadable');
    const r = await replay(
      env.t.url,
      wuzDelivery(d.id, d.secret, 'HistorySync', { Data: { syncType: 'RECENT', conversations: [{ ID: jid, name: 'Poison pen', messages: [item('H1', 'hist one'), item('', 'no id'), item('H\u0000X', 'nul id'), item('H3', 'huge time', 2 ** 53), item('H4', 'hist four')] }] } }),
    );
    expect(r.status).toBe(200);
    const bodies = await env.t.db('messages').where({ device_id: d.id }).pluck('body');
    expect(bodies).toEqual(expect.arrayContaining(['hist one', 'nul id', 'huge time', 'hist four']));
    expect(await rejected('wuzapi', 'event_unreadable')).toBe(before + 1);
    // A live message with a 1e308 timestamp string and a NUL in its text.
    const live = await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'LIVE1', chat: jid, timestamp: '1e308', message: { conversation: 'live \u0000 text' } })));
    expect(live.status).toBe(200);
    expect(await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'LIVE1' }).first('body')).toMatchObject({ body: 'live  text' });
  });
});
