import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface GatewayProcess {
  url: string;
  /** The database it uses (embedded PostgreSQL unless DATABASE_URL is set). */
  databaseUrl: string;
  /** The built-in engine simulator it started (no engine URL configured). */
  simUrl: string;
  stop(): Promise<void>;
}

/**
 * The real gateway in its own process (so load generator and server do not share an event loop),
 * on embedded PostgreSQL in a temporary directory unless DATABASE_URL is set. Demo seed included.
 */
/**
 * Spawns a node process of this repository's built output (what `npm start` runs, so the figures
 * are production's; `npm run bench` builds first) and resolves once its output shows `ready`, or
 * with `probe`, once the URL `ready` answers 200.
 */
async function spawnNode(args: string[], env: Record<string, string>, ready: string, probe = false) {
  const child = spawn(process.execPath, args, { cwd: repo, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), 90_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (!probe && out.includes(ready)) (clearTimeout(timer), resolve());
    });
    // The gateway prints JSON logs only (its banner is for a terminal, and benchmarks log at warn):
    // it is ready when /readyz answers 200.
    const poll = async () => {
      for (let settled = false; !settled; ) {
        const ok = await fetch(ready).then((r) => r.ok, () => false);
        if (ok) return (clearTimeout(timer), resolve());
        await new Promise((r) => setTimeout(r, 200));
        settled = child.exitCode !== null;
      }
    };
    if (probe) void poll();
    child.once('exit', (c) => (clearTimeout(timer), reject(new Error(`${args.join(' ')} exited ${c}:\n${out}`))));
  });
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
}

/**
 * The real gateway in its own process (so load generator and server do not share an event loop),
 * on embedded PostgreSQL in a temporary directory unless DATABASE_URL is set, demo seed included,
 * with the engine simulator in a third process, as an engine runs beside a real deployment.
 */
export async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-'));
  chmodSync(dataDir, 0o755);
  const [port, pgPort, simPort] = [await freePort(), await freePort(), await freePort()];
  const simUrl = `http://127.0.0.1:${simPort}`;
  // BENCH_CPU_PROF=<dir> (gateway) and BENCH_SIM_PROF=<dir> (simulator) write V8 CPU profiles there, to find where time goes.
  const profileTo = (dir: string | undefined) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  const stopSim = await spawnNode([...profileTo(process.env.BENCH_SIM_PROF), 'engine-sim/dist/main.js'], { SIM_PORT: String(simPort), SIM_HOST: '127.0.0.1', SIM_LOG_LEVEL: 'warn' }, simUrl);
  const stopGateway = await spawnNode(
    [...profileTo(process.env.BENCH_CPU_PROF), 'gateway/dist/main.js'],
    {
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      WAHA_URL: simUrl,
      WAHA_API_KEY: 'sim-api-key',
      WUZAPI_URL: `${simUrl}/wuzapi`,
      WUZAPI_ADMIN_TOKEN: 'sim-admin-token',
      LOG_LEVEL: 'warn',
      LOGIN_RATE_MAX_PER_IP: '1000000',
      LOGIN_RATE_MAX_PER_EMAIL: '1000000',
      ...env,
    },
    `http://127.0.0.1:${port}/readyz`,
    true,
  ).catch(async (e) => {
    await stopSim();
    throw e;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl: process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/gateway`,
    simUrl,
    async stop() {
      await stopGateway();
      await stopSim();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
