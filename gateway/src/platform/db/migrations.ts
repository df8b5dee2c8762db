import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Db } from './knex.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

/**
 * Migrations live in the repo's top-level migrations/ as TypeScript. Run from source (tsx, vitest)
 * they load as .ts; the built gateway loads their compiled copy in gateway/dist/db/migrations.
 * Names are stored without extension so both forms agree on what has run.
 */
function migrationDir(): { dir: string; ext: string } {
  const compiled = path.resolve(here, '../../db/migrations');
  if (import.meta.url.endsWith('.js') && existsSync(compiled)) return { dir: compiled, ext: '.js' };
  return { dir: path.join(repoRoot, 'migrations'), ext: '.ts' };
}

class FolderSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string, private readonly ext: string) {}
  async getMigrations() {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(this.ext) && !f.endsWith('.d.ts'))
      .map((f) => f.slice(0, -this.ext.length))
      .sort();
  }
  getMigrationName(name: string) {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    return import(pathToFileURL(path.join(this.dir, name + this.ext)).href);
  }
}

export function migrationConfig(): Knex.MigratorConfig {
  const { dir, ext } = migrationDir();
  return { migrationSource: new FolderSource(dir, ext), tableName: 'knex_migrations' };
}

export const migrateLatest = (db: Db) => db.migrate.latest(migrationConfig());
export const migrateDown = (db: Db) => db.migrate.down(migrationConfig());
export const migrateRollbackAll = (db: Db) => db.migrate.rollback(migrationConfig(), true);

export async function pendingMigrations(db: Db): Promise<number> {
  const [, pending] = (await db.migrate.list(migrationConfig())) as [unknown[], unknown[]];
  return pending.length;
}
