import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { format, met, type Figure } from './support/report.js';
import { machineLoad } from './support/machine.js';

/**
 * `npm run bench [name…]`: every bench/*.bench.ts in turn, each printing its figures and the target
 * each is held to. Exits 1 when a target is missed. Benchmarks talk only to 127.0.0.1.
 */
const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)))
  .sort();

let missed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { title: string; run(): Promise<Figure[]> };
  console.log(`\n${mod.title} (${file})`);
  const t0 = Date.now();
  const load = machineLoad();
  try {
    const figures = await mod.run();
    for (const f of figures) {
      console.log(format(f));
      if (!met(f)) missed++;
    }
  } catch (err) {
    missed++;
    console.log(`  FAILED TO RUN: ${(err as Error).stack ?? err}`);
  }
  const during = load();
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s${during ? `; ${during}` : ''})`);
}
console.log(`\n${missed ? `${missed} target(s) missed` : 'every target met'}`);
process.exit(missed ? 1 : 0);
