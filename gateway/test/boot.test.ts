import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/test-db.js';

const gatewayDir = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-boot-'));
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Runs the real entry point the way `npm start` does, with no DATABASE_URL: embedded PostgreSQL (`env` adds or overrides variables). */
function boot(port: number, pgPort: number, simPort: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: gatewayDir,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), SIM_PORT: String(simPort), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no start within 60 s:\n' + out)), 60_000);
    child.stdout!.on('data', () => {
      if (out.includes('"msg":"listening"')) (clearTimeout(timer), resolve());
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${out}`))));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

function isJson(line: string) {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

async function stop(p: { child: ChildProcess; exited: Promise<number | null> }) {
  p.child.kill('SIGTERM');
  return p.exited;
}

describe('the gateway process', () => {
  it('when started without DATABASE_URL, then it runs embedded PostgreSQL, seeds the demo, prints URL and logins, and stops cleanly on SIGTERM; data survive a restart', async () => {
    const [port, pgPort, simPort] = [await freePort(), await freePort(), await freePort()];
    const first = boot(port, pgPort, simPort);
    await first.ready;
    expect(first.output()).toContain(`running at http://localhost:${port}`);
    expect(first.output()).toContain('alice@demo.test (admin)');
    expect(first.output()).toContain(`SIMULATOR (development tool, not WhatsApp) at http://127.0.0.1:${simPort}`);
    // Not at a terminal: every line on stdout and stderr is a JSON log line.
    const notJson = first.output().split('\n').filter((l) => l.trim() && !isJson(l));
    expect(notJson).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${simPort}/_sim`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bob@demo.test', password: 'demo-password' }),
    });
    expect(login.status).toBe(200);
    // A change made now must still be there after a restart.
    const { accessToken, user } = await login.json();
    const renamed = await fetch(`http://127.0.0.1:${port}/api/users/${user.id}/password`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ oldPassword: 'demo-password', newPassword: 'bobs-new-password' }),
    });
    expect(renamed.status).toBe(204);

    expect(await stop(first)).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(await portOpen(pgPort)).toBe(false); // the embedded database went down with it
    expect(await portOpen(simPort)).toBe(false);

    const second = boot(port, pgPort, simPort);
    await second.ready;
    expect(second.output()).not.toContain('demo seed applied');
    const again = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bob@demo.test', password: 'bobs-new-password' }),
    });
    expect(again.status).toBe(200);
    expect(await stop(second)).toBe(0);
  }, 120_000);

  it('when a shutdown step never ends (the database stopped answering), then the process names it and exits non-zero soon after SHUTDOWN_TIMEOUT_MS', async () => {
    const database = await createTestDatabase();
    // A TCP relay in front of the database that can go silent, like a network partition: connections
    // stay open, nothing gets through, not even a close.
    const target = new URL(database.url);
    let silent = false;
    const sockets = new Set<net.Socket>();
    const relay = net.createServer({ allowHalfOpen: true }, (c) => {
      const s = net.connect({ port: Number(target.port), host: target.hostname, allowHalfOpen: true });
      sockets.add(c).add(s);
      c.on('data', (d) => silent || s.write(d)).on('end', () => silent || s.end()).on('error', () => undefined);
      s.on('data', (d) => silent || c.write(d)).on('end', () => silent || c.end()).on('error', () => undefined);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const via = new URL(target);
    via.port = String((relay.address() as net.AddressInfo).port);
    const [port, pgPort, simPort] = [await freePort(), await freePort(), await freePort()];
    const p = boot(port, pgPort, simPort, {
      DATABASE_URL: via.toString(),
      WAHA_URL: 'http://127.0.0.1:9', // an engine nobody answers for; no simulator
      DEMO_MODE: 'false',
      JWT_SECRET: 'a-secret-that-is-long-enough-0123456789',
      OUTBOX_POLL_MS: '20', // a poll is always about to ask the database something
      SHUTDOWN_TIMEOUT_MS: '500',
    });
    try {
      await p.ready;
      silent = true;
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      p.child.kill('SIGTERM');
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(p.output()).toMatch(/"level":50,.*"pending":"[^"]+".*"msg":"shutdown did not finish in time; exiting anyway"/);
    } finally {
      p.child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      relay.close();
      await database.drop();
    }
  }, 60_000);

  it('when a variable is invalid, then the process exits at once with a message naming it', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
      cwd: gatewayDir,
      env: { PATH: process.env.PATH, PORT: 'not-a-port', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(78);
    expect(err).toMatch(/PORT/);
    expect(JSON.parse(err.trim().split('\n').at(-1)!)).toMatchObject({ level: 60, msg: expect.stringMatching(/PORT/) });
  }, 30_000);
});
