import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/test-db.js';
import { createDb } from '../src/platform/db/knex.js';
import { migrateLatest, migrateRollbackAll, pendingMigrations } from '../src/platform/db/migrations.js';

const tables = async (db: ReturnType<typeof createDb>) =>
  (await db('information_schema.tables').where({ table_schema: 'public' }).pluck('table_name')).filter((n: string) => !n.startsWith('knex_')).sort();

describe('migrations', () => {
  it('when applied up, down and up again on an empty database, then each step is clean and ends with the same schema', async () => {
    const database = await createTestDatabase({ migrated: false });
    const db = createDb(database.url, { min: 0, max: 2 });
    try {
      expect(await pendingMigrations(db).catch(() => -1)).not.toBe(0);
      await migrateLatest(db);
      expect(await pendingMigrations(db)).toBe(0);
      const first = await tables(db);
      expect(first).toEqual(expect.arrayContaining(['orgs', 'users', 'refresh_tokens', 'audit_log']));
      await migrateRollbackAll(db);
      expect(await tables(db)).toEqual([]);
      await migrateLatest(db);
      expect(await tables(db)).toEqual(first);
      expect(await pendingMigrations(db)).toBe(0);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
