import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';
import { startGateway } from './support/gateway-process.js';
import { call, connectedDevice, login, until } from './support/api.js';
import { pgClient } from './support/pg.js';
import type { Figure } from './support/report.js';
import { processCpu } from './support/machine.js';

export const title = 'Engines: signed webhook ingest and history import';

/** Runs autocannon; `lastAnswerAt` is when the last answer came (its own duration counts whole seconds). */
const fire = (opts: autocannon.Options) =>
  new Promise<autocannon.Result & { lastAnswerAt: number }>((resolve, reject) => {
    let lastAnswerAt = 0;
    const run = autocannon(opts, (err, r) => (err ? reject(err) : resolve({ ...r, lastAnswerAt })));
    run.on('response', () => (lastAnswerAt = Date.now()));
  });

const EVENTS = 30_000;

/** WAHA `message` deliveries, each a new message in one of 200 chats, signed like WAHA signs them. */
function signedDeliveries(secret: string, n: number) {
  const out: { body: string; headers: Record<string, string> }[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < n; i++) {
    const chat = `49151${String(1_000_000 + (i % 200))}@c.us`;
    const body = JSON.stringify({
      id: `evt_bench${String(i).padStart(21, '0')}`,
      timestamp: Date.now(),
      event: 'message',
      session: 'bench',
      metadata: {},
      me: { id: '4930000000@c.us', pushName: 'Bench' },
      payload: { id: `false_${chat}_BENCH${i}`, timestamp: now, from: chat, fromMe: false, source: 'app', to: '4930000000@c.us', body: `load message ${i}`, hasMedia: false, ack: 1, _data: { notifyName: `Contact ${i % 200}` } },
      engine: 'NOWEB',
    });
    out.push({ body, headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' } });
  }
  return out;
}

/**
 * CPU per item, gateway and PostgreSQL apart: steadier than a rate when the load generator, the
 * gateway and the database share two cores with other guests (reported, no target).
 */
function cpuPerItem(what: string, a: ReturnType<typeof processCpu>, b: ReturnType<typeof processCpu>, n: number): Figure[] {
  if (!a || !b || !n) return [];
  const us = (s: number) => Math.round((s * 1e6) / n);
  return [
    { name: `gateway CPU per ${what}`, value: us(b.gateway - a.gateway), unit: 'µs' },
    { name: `PostgreSQL CPU per ${what}`, value: us(b.postgres - a.postgres), unit: 'µs' },
  ];
}

export async function run(): Promise<Figure[]> {
  const gw = await startGateway();
  const pg = await pgClient(gw.databaseUrl);
  try {
    const token = await login(gw.url);
    const figures: Figure[] = [];

    // --- webhook ingest ---
    const device = await connectedDevice(gw, token, pg);
    const deliveries = signedDeliveries(device.secret, EVENTS);
    let next = 0;
    const path = `/webhooks/waha/${device.id}`;
    const noop = await fire({ url: `${gw.url}/api/nothing-here`, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, connections: 50, duration: 6 });
    const before = Number((await pg.first('SELECT count(*) AS n FROM messages WHERE device_id = $1', [device.id])).n);
    const cpu0 = processCpu();
    const t0 = Date.now();
    const ingest = await fire({
      url: gw.url,
      connections: 50,
      amount: EVENTS,
      requests: [{ method: 'POST', path, setupRequest: (req) => ({ ...req, ...deliveries[next++ % EVENTS]! }) }],
    });
    const seconds = (ingest.lastAnswerAt - t0) / 1000; // every delivery is stored once answered
    const cpu1 = processCpu();
    const stored = Number((await pg.first('SELECT count(*) AS n FROM messages WHERE device_id = $1', [device.id])).n) - before;
    if (ingest.non2xx) throw new Error(`${ingest.non2xx} webhook answers were not 2xx`);
    if (stored !== EVENTS) throw new Error(`stored ${stored} of ${EVENTS} messages`);
    const rate = stored / seconds;
    figures.push(
      { name: 'no-op POST (unknown route, full middleware stack)', value: Math.round(noop.requests.average), unit: 'req/s' },
      { name: `webhook ingest: signed message events stored (${EVENTS}, 50 conns)`, value: Math.round(rate), unit: 'ev/s', target: { op: '>=', value: 2000 } },
      { name: 'webhook answer p99 (answered once durable)', value: ingest.latency.p99, unit: 'ms', target: { op: '<=', value: 100 } },
      { name: 'webhook ingest as a share of the no-op POST rate', value: Math.round((rate / noop.requests.average) * 100), unit: '%', target: { op: '>=', value: 25 } },
      ...cpuPerItem('stored event', cpu0, cpu1, stored),
    );

    // --- history import ---
    const phone = (await call<{ id: string; engineSession: string }>(gw.url, 'POST', '/api/devices', { token, body: { name: 'History phone', engine: 'waha' } })).body;
    await until('qr', 15_000, async () => (await call(gw.url, 'GET', `/api/devices/${phone.id}/qr`, { token })).body?.qr);
    const fill = await call(gw.simUrl, 'POST', `/_sim/sessions/${phone.engineSession}/history`, { body: { chats: 100, messagesPerChat: 1000 } });
    if (fill.status !== 200) throw new Error(`history fill ${fill.status}`);
    const cpu2 = processCpu();
    await call(gw.simUrl, 'POST', `/_sim/sessions/${phone.engineSession}/scan`, { body: {} });
    const job = await until('import done', 120_000, async () => {
      const r = await call<{ status: string; doneMessages: number; startedAt: string; finishedAt: string }>(gw.url, 'GET', `/api/devices/${phone.id}/sync`, { token });
      if (r.body?.status === 'failed') throw new Error('import failed');
      return r.body?.status === 'done' ? r.body : undefined;
    });
    const cpu3 = processCpu();
    const importSeconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
    const importedRows = Number((await pg.first('SELECT count(*) AS n FROM messages WHERE device_id = $1', [phone.id])).n);
    if (importedRows !== 100_000) throw new Error(`imported ${importedRows} of 100000`);
    figures.push(
      { name: 'history import: 100,000 messages in 100 chats, seconds', value: importSeconds, unit: 's', target: { op: '<=', value: 20 } },
      { name: 'history import rate', value: Math.round(job.doneMessages / importSeconds), unit: 'msg/s', target: { op: '>=', value: 5000 } },
      ...cpuPerItem('imported message', cpu2, cpu3, importedRows),
    );
    return figures;
  } finally {
    await pg.end();
    await gw.stop();
  }
}
