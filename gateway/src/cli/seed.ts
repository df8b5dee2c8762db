import { loadConfig } from '../config/config.js';
import { createLogger } from '../platform/logger.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateLatest } from '../platform/db/migrations.js';
import { runDemoSeed } from '../platform/seeds.js';

/** `npm run seed`: the demo organization and its three people. Refuses in production. */
const config = loadConfig();
if (config.NODE_ENV === 'production') {
  console.error('The demo seed never runs in production.');
  process.exit(1);
}
const database = await openDatabase(config, createLogger(config.LOG_LEVEL));
try {
  await migrateLatest(database.db);
  const { created } = await runDemoSeed(database.db);
  console.log(`Demo org ready (${created} new users). Logins, password demo-password: alice@demo.test, bob@demo.test, carol@demo.test`);
} finally {
  await database.close();
}
