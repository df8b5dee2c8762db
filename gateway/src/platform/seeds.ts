import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Db } from './db/knex.js';

/** Seeds are TypeScript in seeds/; the built gateway runs their compiled copy, like migrations. */
export async function runDemoSeed(db: Db): Promise<{ orgId: string; created: number }> {
  const compiled = fileURLToPath(new URL('../db/seeds/demo.js', import.meta.url));
  const source = fileURLToPath(new URL('../../../seeds/demo.ts', import.meta.url));
  const file = import.meta.url.endsWith('.js') && existsSync(compiled) ? compiled : source;
  const mod = (await import(pathToFileURL(file).href)) as { seed(db: Db): Promise<{ orgId: string; created: number }> };
  return mod.seed(db);
}
