import { loadConfig } from '../config/config.js';
import { createLogger } from '../platform/logger.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateDown, migrateLatest } from '../platform/db/migrations.js';

/** `npm run migrate` applies every pending migration; `npm run migrate:down` undoes the last one. */
const direction = process.argv[2] === 'down' ? 'down' : 'up';
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const database = await openDatabase(config, logger);
try {
  if (direction === 'up') {
    const [, applied] = await migrateLatest(database.db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  } else {
    const [, undone] = await migrateDown(database.db);
    console.log(undone.length ? `undone: ${undone.join(', ')}` : 'nothing to undo');
  }
} finally {
  await database.close();
}
