import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

/** A throwaway MariaDB server (Debian's mariadb-server) in a temporary directory, for the legacy import test. */

const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
const which = (bin: string) => SEARCH.map((d) => path.join(d, bin)).find((p) => existsSync(p));
export const mariadbd = which('mariadbd');
const installDb = which('mariadb-install-db');
export const mariadbAvailable = !!(mariadbd && installDb);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface MariaDb {
  url: string;
  stop(): Promise<void>;
}

export async function startMariaDb(database = 'data_feeds'): Promise<MariaDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-mariadb-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  const user = root ? ['--user=mysql'] : [];
  if (root) {
    const id = spawnSync('id', ['-u', 'mysql'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'mysql'], { encoding: 'utf8' });
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = path.join(dir, 'data');
  const init = spawnSync(installDb!, ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=socket', '--skip-test-db'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr || init.stdout}`);
  const password = 'legacy-pw';
  const initFile = path.join(dir, 'init.sql');
  writeFileSync(
    initFile,
    `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4;
     CREATE USER IF NOT EXISTS 'legacy'@'127.0.0.1' IDENTIFIED BY '${password}';
     GRANT ALL ON \`${database}\`.* TO 'legacy'@'127.0.0.1';\n`,
  );
  chmodSync(initFile, 0o644);
  const port = await freePort();
  const child: ChildProcess = spawn(
    mariadbd!,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--init-file=${initFile}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      '--skip-log-bin',
      ...user,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const url = `mysql://legacy:${password}@127.0.0.1:${port}/${database}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited ${child.exitCode}:\n${log}`);
    try {
      const c = await mysql.createConnection({ uri: url });
      await c.end();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
