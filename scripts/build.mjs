#!/usr/bin/env node
// Builds only the workspaces whose inputs changed since their last successful build (used by `npm start`,
// `npm run sim` and `npm run bench`; `npm run build` always builds everything). A workspace is stale when
// any input file is newer than the stamp written into its dist/ after the build, so a start with no
// change costs a directory walk, not a compile. Says what it builds and why, and how long it took.
//   node scripts/build.mjs [workspace…]   (default: engine-sim gateway web)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMMON = ['package-lock.json', 'tsconfig.base.json'];

/** Inputs of each workspace (relative to the root), and the command that builds it. */
const TARGETS = {
  'engine-sim': {
    inputs: [...COMMON, 'engine-sim/src', 'engine-sim/package.json', 'engine-sim/tsconfig.build.json'],
    clean: 'engine-sim/dist',
    cmd: ['npx', ['tsc', '-p', 'tsconfig.build.json'], 'engine-sim'],
    what: 'TypeScript → engine-sim/dist',
  },
  gateway: {
    // The gateway is type-checked against engine-sim's sources, and dist/db holds the migrations and seeds.
    inputs: [...COMMON, 'gateway/src', 'gateway/package.json', 'gateway/tsconfig.build.json', 'gateway/tsconfig.db.json', 'migrations', 'seeds', 'engine-sim/src'],
    // A clean build, so a removed or renamed migration never lingers in dist/db.
    clean: 'gateway/dist',
    cmd: ['sh', ['-c', 'npx tsc -p tsconfig.build.json && npx tsc -p tsconfig.db.json'], 'gateway'],
    what: 'TypeScript → gateway/dist (+ migrations and seeds → gateway/dist/db)',
  },
  web: {
    inputs: [...COMMON, 'web/src', 'web/index.html', 'web/package.json', 'web/vite.config.ts', 'web/public'],
    clean: null, // vite empties its outDir itself
    cmd: ['npx', ['vite', 'build', '--logLevel', 'warn'], 'web'],
    what: 'Vite → web/dist',
  },
};

const STAMP = '.build-stamp';

/** Newest modification time under p (0 when p does not exist), and the file that has it. */
function newest(p) {
  let best = { t: 0, file: null };
  let st;
  try {
    st = statSync(p);
  } catch {
    return best;
  }
  if (!st.isDirectory()) return { t: st.mtimeMs, file: p };
  for (const e of readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const n = newest(path.join(p, e.name));
    if (n.t > best.t) best = n;
  }
  return best;
}

function reason(name) {
  const t = TARGETS[name];
  const stamp = path.join(ROOT, name, 'dist', STAMP);
  if (!existsSync(stamp)) return 'no previous build';
  const built = statSync(stamp).mtimeMs;
  let n = { t: 0, file: null };
  for (const i of t.inputs) {
    const m = newest(path.join(ROOT, i));
    if (m.t > n.t) n = m;
  }
  return n.t > built ? `${path.relative(ROOT, n.file)} changed` : null;
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
const upToDate = [];
for (const name of names) {
  const t = TARGETS[name];
  if (!t) {
    console.error(`build: unknown workspace ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
    process.exit(2);
  }
  const why = reason(name);
  if (!why) {
    upToDate.push(name);
    continue;
  }
  console.log(`build: ${name} (${why}): ${t.what} …`);
  const started = Date.now();
  if (t.clean) rmSync(path.join(ROOT, t.clean), { recursive: true, force: true });
  const [cmd, args, cwd] = t.cmd;
  const r = spawnSync(cmd, args, { cwd: path.join(ROOT, cwd), stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${name} failed`);
    process.exit(r.status ?? 1);
  }
  // The stamp carries the time the build started: an edit made during the build is seen next time.
  const stamp = path.join(ROOT, name, 'dist', STAMP);
  writeFileSync(stamp, `built ${new Date(started).toISOString()}\n`);
  utimesSync(stamp, started / 1000, started / 1000);
  console.log(`build: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (upToDate.length) console.log(`build: up to date: ${upToDate.join(', ')}`);
