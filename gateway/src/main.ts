import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { loadConfig, ConfigError } from './config/config.js';
import { createLogger } from './platform/logger.js';
import { openDatabase } from './platform/db/database.js';
import { migrateLatest } from './platform/db/migrations.js';
import { runDemoSeed } from './platform/seeds.js';
import { createApp } from './app.js';

/** After SHUTDOWN_TIMEOUT_MS (when open connections are cut), how long the rest of a shutdown may take. */
const SHUTDOWN_GRACE_MS = 5_000;

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      // Before the configured logger exists, still one JSON line (on stderr), naming the variable.
      pino(pino.destination(2)).fatal(e.message);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let simulator: { url: string; close(): Promise<void> } | undefined;
  if (config.simulator) {
    // No engine configured: the built-in simulator plays both engines (a development tool).
    const { startSimulator } = await import('engine-sim');
    const sim = await startSimulator({ port: config.SIM_PORT, host: config.HOST, logger: logger.child({ component: 'engine-sim' }) });
    simulator = sim;
    config = { ...config, WAHA_URL: sim.wahaUrl, WAHA_API_KEY: sim.apiKey, WUZAPI_URL: sim.wuzapiUrl, WUZAPI_ADMIN_TOKEN: sim.adminToken };
  }
  const database = await openDatabase(config, logger);
  const [, applied] = await migrateLatest(database.db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  if (config.demo) {
    const { created } = await runDemoSeed(database.db);
    if (created) logger.info({ created }, 'demo seed applied');
  }

  const { handler, background, attach } = createApp({ config, db: database.db, logger });
  const server: Server = createServer(handler).listen(config.PORT, config.HOST);
  attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const url = config.PUBLIC_URL;
  const lines = [
    '',
    `  WhatsApp gateway is running at ${url}`,
    `  API docs: ${url}/api/docs`,
    `  Database: ${database.embedded ? `embedded PostgreSQL (${config.DATA_DIR}/pg)` : 'DATABASE_URL'}`,
    simulator
      ? `  Engine: the built-in SIMULATOR (development tool, not WhatsApp) at ${simulator.url} — control page ${simulator.url}/_sim`
      : `  Engine: ${[config.WAHA_URL && `WAHA ${config.WAHA_URL}`, config.WUZAPI_URL && `WuzAPI ${config.WUZAPI_URL}`].filter(Boolean).join(', ')}`,
  ];
  if (config.demo) lines.push('  Demo logins (password demo-password): alice@demo.test (admin), bob@demo.test (editor), carol@demo.test (viewer)');
  // Logs are JSON lines only; the banner is for a person at a terminal, and its facts are on the
  // `listening` line for everyone else.
  if (process.stdout.isTTY) console.log(lines.join('\n') + '\n');
  background.start();
  logger.info({ url, port: config.PORT, simulator: simulator?.url, about: lines.filter(Boolean).map((l) => l.trim()) }, 'listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    let step = 'HTTP server and /ws';
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    // A step that never ends (a database that stopped answering, a job that never stops) must not keep
    // the process alive: say which one, and leave. Not unref'd: with nothing else left to wait for,
    // the process would end silently with 0, as if it had stopped cleanly.
    setTimeout(() => {
      const pending = step === 'background work' ? `background work: ${background.waitingFor}` : step;
      logger.error({ pending, timeoutMs: config.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_GRACE_MS }, 'shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_GRACE_MS);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(force);
    step = 'background work';
    await background.stop();
    step = 'simulator';
    await simulator?.close();
    step = 'database';
    await database.close();
    logger.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  pino(pino.destination(2)).fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
