// An engine posts its webhooks concurrently and retries them; on a busy machine they reach the gateway
// in any order. A status the engine left behind (a QR shown before the phone scanned) must never
// overwrite the one it is in now. The relay between simulator and gateway holds deliveries back, so
// the late order is made to happen, not hoped for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, eventTypeOf, eventually, startEngineEnv, type Delivery, type EngineEnv } from './support/engine-env.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env?.close());

const deviceOf = async (id: string) => (await env.http.get(`/api/devices/${id}`, { token: env.owner.token })).body;
const wahaStatusOf = (d: Delivery) => (eventTypeOf(d) === 'session.status' ? (JSON.parse(d.body.toString()).payload?.status as string) : null);

describe('device status from webhooks that arrive out of order', () => {
  it('when a WAHA "scan the QR" status reaches the gateway after the phone has connected, then the device stays connected', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Late QR', engine: 'waha' } })).body;
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 15_000, 'a QR');
    // The next QR rotation's status is held back at the relay, then the phone scans.
    const lateQr = env.relay.hold((x) => x.path.includes(d.id) && wahaStatusOf(x) === 'SCAN_QR_CODE');
    try {
      await eventually(async () => lateQr.held > 0, 15_000, 'a QR rotation held back');
      expect((await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: '4915100003333' } })).status).toBe(200);
      await eventually(async () => (await deviceOf(d.id)).status === 'connected', 15_000, 'connected');
    } finally {
      lateQr.release();
    }
    await env.sim.webhooksIdle(10_000);
    expect(env.relay.deliveries.filter((x) => x.path.includes(d.id) && wahaStatusOf(x) === 'SCAN_QR_CODE').length).toBeGreaterThan(0);
    expect(await deviceOf(d.id)).toMatchObject({ status: 'connected', phone: '+4915100003333' });
  }, 60_000);

  it('when a WuzAPI QR event reaches the gateway after the phone has paired, then the device stays connected', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Late QR wuz', engine: 'wuzapi' } })).body;
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 15_000, 'a QR');
    const lateQr = env.relay.hold((x) => x.path.includes(d.id) && eventTypeOf(x) === 'QR');
    try {
      await eventually(async () => lateQr.held > 0, 15_000, 'a QR rotation held back');
      expect((await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: '4915100004444' } })).status).toBe(200);
      await eventually(async () => (await deviceOf(d.id)).status === 'connected', 15_000, 'connected');
    } finally {
      lateQr.release();
    }
    await env.sim.webhooksIdle(10_000);
    expect(await deviceOf(d.id)).toMatchObject({ status: 'connected', phone: '+4915100004444' });
  }, 60_000);
});
