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
  stop(): Promise<void>;
}

/**
 * The real gateway in its own process (so load generator and server do not share an event loop),
 * on embedded PostgreSQL in a temporary directory unless DATABASE_URL is set. Demo seed included.
 */
export async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-'));
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'gateway/src/main.ts'], {
    cwd: repo,
    env: {
      PATH: process.env.PATH,
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      LOGIN_RATE_MAX_PER_IP: '1000000',
      LOGIN_RATE_MAX_PER_EMAIL: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not start:\n' + out)), 90_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('running at')) (clearTimeout(timer), resolve());
    });
    child.once('exit', (c) => (clearTimeout(timer), reject(new Error(`gateway exited ${c}:\n${out}`))));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
