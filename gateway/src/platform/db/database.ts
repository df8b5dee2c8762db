import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { createDb, type Db } from './knex.js';

export interface Database {
  db: Db;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** DATABASE_URL when set; otherwise an embedded PostgreSQL under DATA_DIR/pg that lives as long as we do. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const dir = path.join(config.DATA_DIR, 'pg');
    logger.info({ dir, port: config.EMBEDDED_PG_PORT }, 'starting embedded PostgreSQL');
    // Imported only when used, so a production image with DATABASE_URL needs no PostgreSQL binaries.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    const pg = await startEmbeddedPostgres({ dir, port: config.EMBEDDED_PG_PORT, database: 'gateway', logger });
    url = pg.url;
    stopEmbedded = pg.stop;
  }
  const db = createDb(url, { min: config.DB_POOL_MIN, max: config.DB_POOL_MAX }, logger);
  return {
    db,
    url,
    embedded: !!stopEmbedded,
    async close() {
      await db.destroy();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}
