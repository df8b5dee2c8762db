import autocannon from 'autocannon';
import { startGateway } from './support/gateway-process.js';
import { percentile, type Figure } from './support/report.js';

export const title = 'Foundation: authenticated request throughput and login latency';

const fire = (opts: autocannon.Options) =>
  new Promise<autocannon.Result>((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));

export async function run(): Promise<Figure[]> {
  const gw = await startGateway();
  try {
    const login = async () => {
      const t0 = performance.now();
      const r = await fetch(`${gw.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'alice@demo.test', password: 'demo-password' }),
      });
      if (r.status !== 200) throw new Error(`login ${r.status}`);
      return { ms: performance.now() - t0, token: ((await r.json()) as { accessToken: string }).accessToken };
    };
    const logins: number[] = [];
    let token = '';
    for (let i = 0; i < 20; i++) {
      const l = await login();
      logins.push(l.ms);
      token = l.token;
    }
    logins.sort((a, b) => a - b);

    const base = { connections: 20, duration: 8, pipelining: 1 };
    await fire({ ...base, url: `${gw.url}/healthz`, duration: 2 }); // warm-up
    const health = await fire({ ...base, url: `${gw.url}/healthz` });
    const me = await fire({ ...base, url: `${gw.url}/api/auth/me`, headers: { authorization: `Bearer ${token}` } });
    if (me.non2xx || health.non2xx) throw new Error(`non-2xx answers: me ${me.non2xx}, healthz ${health.non2xx}`);
    const ratio = me.requests.average / health.requests.average;
    return [
      { name: 'GET /healthz throughput', value: Math.round(health.requests.average), unit: 'req/s' },
      { name: 'GET /api/auth/me throughput (JWT + user lookup)', value: Math.round(me.requests.average), unit: 'req/s' },
      { name: '/api/auth/me as a share of /healthz', value: Math.round(ratio * 100), unit: '%', target: { op: '>=', value: 50 } },
      { name: 'GET /api/auth/me p99 latency', value: me.latency.p99, unit: 'ms' },
      { name: 'login p50 (bcrypt cost 12)', value: Math.round(percentile(logins, 50)), unit: 'ms' },
    ];
  } finally {
    await gw.stop();
  }
}
