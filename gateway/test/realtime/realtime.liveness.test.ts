import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser, PASSWORD } from '../support/factories.js';
import { client } from '../support/http.js';
import { eventually } from '../support/engine-env.js';
import { append, liveSocket, openSocket, sleep, wsUrl } from './ws.support.js';

let t: TestApp; // heartbeat as configured by default (30 s), small send buffer limit
let beating: TestApp; // same database, 200 ms heartbeat
let orgId: string;
let token: string;
let deviceId: string;

beforeAll(async () => {
  t = await startTestApp({ WS_MAX_BUFFER_BYTES: '262144' }, { validateEvents: false }); // made-up payloads: the transport is under test
  beating = await startTestApp({ WS_HEARTBEAT_MS: '200' }, { databaseUrl: t.config.DATABASE_URL!, validateEvents: false });
  orgId = (await makeOrg(t.db)).id;
  const u = await makeUser(t.db, orgId, 'editor');
  token = (await client(t.url).post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).body.accessToken;
  const [d] = await t.db('devices').insert({ org_id: orgId, owner_id: u.id, name: 'Phone', engine: 'waha', engine_session: 's' + randomBytes(4).toString('hex'), webhook_secret: 'x', status: 'connected' }).returning('id');
  deviceId = d.id;
});
afterAll(async () => {
  await beating.close();
  await t.close();
});

const openCount = async () => Number((await (await fetch(`${beating.url}/metrics`)).text()).match(/^ws_sockets_open (\d+)/m)?.[1]);

describe('/ws liveness', () => {
  it('when a socket stops reading, then it is closed with 1013 once its buffer is full, and a reading socket keeps receiving everything', async () => {
    const healthy = await liveSocket(t.url, token);
    // A raw client that never reads: its TCP socket is paused right after the handshake.
    const stalled = new WebSocket(wsUrl(t.url), ['bearer', token]);
    await new Promise((r) => stalled.once('open', r));
    let code = 0;
    stalled.on('close', (c) => (code = c));
    await sleep(400); // past the resume grace
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause();

    // About 24 MB of events in 100 kB batches: more than a loopback socket's kernel buffers hold.
    const blob = 'x'.repeat(20_000);
    let last = 0;
    for (let i = 0; i < 240; i++) last = await append(t.db, Array.from({ length: 5 }, (_, k) => ({ orgId, deviceId, type: 'sync.progress' as const, data: { deviceId, n: i * 5 + k, blob } })));
    await eventually(async () => healthy.events().at(-1)?.seq === last, 20_000, 'healthy socket received everything');
    expect(healthy.events()).toHaveLength(1200);
    expect(healthy.isClosed()).toBe(false);

    // The stalled client, reading again, finds the close frame behind what was already queued.
    (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
    await eventually(async () => code !== 0, 20_000, 'stalled socket closed');
    expect(code).toBe(1013);
    await healthy.close();
  });

  it('when a client stops answering pings, then the heartbeat drops it, and a client that answers stays', async () => {
    const base = await openCount();
    const answering = await liveSocket(beating.url, token);
    const mute = await openSocket(beating.url, token, 'protocol', { autoPong: false });
    const started = Date.now();
    const { code } = await Promise.race([mute.closed, sleep(3_000).then(() => ({ code: -1 }))]);
    expect(code).toBe(1006); // terminated, no close handshake
    expect(Date.now() - started).toBeLessThan(1_000); // within two heartbeats (and some)
    await sleep(600); // a few more rounds
    expect(answering.isClosed()).toBe(false);
    expect(await openCount()).toBe(base + 1);
    await answering.close();
  });
});
