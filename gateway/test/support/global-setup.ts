import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { createDb } from '../../src/platform/db/knex.js';
import { migrateLatest } from '../../src/platform/db/migrations.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDb: string;
  }
}

export const TEMPLATE_DB = 'gw_test_template';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * One real PostgreSQL for the whole run: DATABASE_URL's server when set, else an embedded one in a
 * temporary directory. The schema is migrated once into a template; each test file clones it.
 */
export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stop: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    dir = mkdtempSync(path.join(tmpdir(), 'gw-test-pg-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
    const emb = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), database: 'postgres' });
    adminUrl = emb.url;
    stop = emb.stop;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();

  const u = new URL(adminUrl);
  u.pathname = `/${TEMPLATE_DB}`;
  const db = createDb(u.toString(), { min: 0, max: 2 });
  await migrateLatest(db);
  await db.destroy();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDb', TEMPLATE_DB);

  return async () => {
    if (stop) await stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
