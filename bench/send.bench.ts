import { randomUUID } from 'node:crypto';
import { startGateway } from './support/gateway-process.js';
import { call, connectedDevice, login, until } from './support/api.js';
import { pgClient } from './support/pg.js';
import { percentile, type Figure } from './support/report.js';

export const title = 'Sending: what the gateway adds over calling the engine directly';

const WARMUP = 50;
const N = 300;
/** Each side's calls are timed in BLOCKS alternating blocks, so a drift in this machine's speed
 * during the run weighs on both sides alike instead of on whichever ran second. */
const BLOCKS = 6;

/** Sequential timings (ms) of `n` calls, appended to `out`. */
async function timed(n: number, from: number, one: (i: number) => Promise<void>, out: number[]) {
  for (let i = from; i < from + n; i++) {
    const t0 = performance.now();
    await one(i);
    out.push(performance.now() - t0);
  }
}

async function post(url: string, headers: Record<string, string>, body: unknown, expect: number) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  if (r.status !== expect) throw new Error(`${url} answered ${r.status}`);
}

export async function run(): Promise<Figure[]> {
  const gw = await startGateway();
  const pg = await pgClient(gw.databaseUrl);
  try {
    const token = await login(gw.url);
    const device = await connectedDevice(gw, token, pg);
    const first = await call<{ chatId: number }>(gw.url, 'POST', '/api/messages/send', { token, body: { deviceId: device.id, to: '+4915199990000', text: 'bench start' } });
    if (first.status !== 202) throw new Error(`send answered ${first.status}`);
    const chatId = first.body.chatId;
    // What autovacuum does on a live database: planner statistics that know the tables are not empty.
    // Without them, a fresh database's generic plans look up an engine id through the device's time
    // index, a scan that grows with every message sent during the run.
    await pg.first('ANALYZE messages, chats, events');

    // The same payload both ways: the simulator's own WAHA sendText, and the gateway's send (202 once pending is written).
    const sendDirect = (i: number) =>
      post(`${gw.simUrl}/api/sendText`, { 'x-api-key': 'sim-api-key' }, { session: device.engineSession, chatId: '4915199990000@c.us', text: `direct ${i}` }, 201);
    const sendViaGateway = (i: number) =>
      post(`${gw.url}/api/chats/${chatId}/messages`, { authorization: `Bearer ${token}` }, { clientId: randomUUID(), text: `gateway ${i}` }, 202);
    // Every gateway send is delivered by the outbox worker afterwards (checked, not timed); a block
    // starts only once the previous block's sends are all delivered, so none runs into the next.
    const allDelivered = () =>
      until('all delivered', 60_000, async () => {
        const r = await pg.first(`SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'failed') AS failed FROM messages WHERE chat_id = $1 AND direction = 'out'`, [chatId]);
        if (Number(r.failed) > 0) throw new Error(`${r.failed} sends failed`);
        return Number(r.pending) === 0;
      });
    for (let i = 0; i < WARMUP; i++) (await sendDirect(-1 - i), await sendViaGateway(-1 - i));
    await allDelivered();
    const direct: number[] = [];
    const viaGateway: number[] = [];
    const per = Math.ceil(N / BLOCKS);
    for (let b = 0; b < BLOCKS; b++) {
      await timed(per, b * per, sendDirect, direct);
      await timed(per, b * per, sendViaGateway, viaGateway);
      await allDelivered();
    }
    direct.sort((a, b) => a - b);
    viaGateway.sort((a, b) => a - b);
    const p50 = { direct: percentile(direct, 50), gateway: percentile(viaGateway, 50) };
    return [
      { name: `simulator POST /api/sendText p50 (${N} sequential, ${BLOCKS} blocks)`, value: p50.direct, unit: 'ms' },
      { name: `gateway POST /api/chats/:id/messages p50 (202 pending written)`, value: p50.gateway, unit: 'ms' },
      { name: 'gateway p95 (reported)', value: percentile(viaGateway, 95), unit: 'ms' },
      { name: 'gateway adds over the simulator (p50 difference)', value: p50.gateway - p50.direct, unit: 'ms', target: { op: '<=', value: 2 } },
    ];
  } finally {
    await pg.end();
    await gw.stop();
  }
}
