import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createApp, type AppServices } from '../../src/app.js';
import { createDb, type Db } from '../../src/platform/db/knex.js';
import { createTestDatabase } from './test-db.js';
import { realtimeEvent } from '../../src/features/realtime/realtime.schemas.js';
import { describeIssues } from '../../src/features/realtime/realtime.frames.js';

export interface TestApp {
  url: string;
  db: Db;
  config: Config;
  services: AppServices;
  app: Express;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

/**
 * The real app on a real port over a private real database (or `databaseUrl`, to restart an app on
 * the same data), with its background jobs. `env` overrides configuration.
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { databaseUrl?: string; background?: boolean; logger?: Logger; validateEvents?: boolean } = {}): Promise<TestApp> {
  const database = opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Local state (media files) of this app goes to a temporary directory, never into the repository.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-test-data-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    WEBHOOK_BASE_URL: `http://127.0.0.1:${port}`,
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEMO_MODE: 'false',
    DATABASE_URL: database.url,
    ...env,
  });
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL });
  const db = createDb(database.url, { min: 0, max: 5 }, logger);
  // Every answer is checked against its route's response schema or the error shape (a mismatch is a
  // 500), and every socket event against RealtimeEvent (`validateEvents: false` only for tests that
  // push made-up payloads to test the transport).
  const { app, handler, services, background, attach } = createApp({ config, db, logger, validateResponses: true });
  if (opts.background !== false) background.start();
  const server: Server = await new Promise((resolve) => {
    const s = createServer(handler).listen(port, '127.0.0.1', () => resolve(s));
  });
  attach(server, { validateEvents: opts.validateEvents ?? true });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    config,
    services,
    app,
    async close() {
      // An event outside its schema, sent on a socket or only written to the log, fails the file that wrote it.
      const mismatches = [...services.realtime.schemaMismatches, ...(opts.validateEvents === false ? [] : await loggedEventsOutsideSchema(db))];
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await background.stop();
      await db.destroy();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
      if (mismatches.length) throw new Error(`socket events outside the RealtimeEvent schema:\n${mismatches.join('\n')}`);
    },
  };
}

/** Every row of the events log (what sockets are sent, and replay) checked against RealtimeEvent. */
async function loggedEventsOutsideSchema(db: Db): Promise<string[]> {
  const rows: { id: string; type: string; data: string }[] = await db('events')
    .select('id', 'type', db.raw('data::text AS data'))
    .orderBy('id')
    .catch(() => []); // the database may be gone (outage tests): nothing to check then
  return rows.flatMap((r) => {
    const res = realtimeEvent.safeParse({ seq: Number(r.id), type: r.type, data: JSON.parse(r.data) });
    return res.success ? [] : [`${r.type} #${r.id}: ${describeIssues(res.error.issues)}`];
  });
}
