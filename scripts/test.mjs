#!/usr/bin/env node
// `npm test`: every workspace's suites in one vitest run (projects in vitest.config.ts), then the one
// closing line CI reads: "N passed, N failed, N skipped", totalled over every suite that ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'wa-test-'));
const report = path.join(dir, 'vitest.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  printSuiteMinutes(r.testResults);
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
  // A suite that crashed before its tests ran has no failed test to count; count it as one.
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
} catch {
  failed = Math.max(failed, 1); // no report at all: the run itself broke
}
rmSync(dir, { recursive: true, force: true });
if (failed === 0 && run.status !== 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

/**
 * Minutes per suite (vitest project), before the closing line: its files' own time added up, the span
 * from its first file's start to its last one's end (files run side by side), and its slowest file.
 */
function printSuiteMinutes(files) {
  const suiteOf = (name) => {
    const rel = path.relative(process.cwd(), name).split(path.sep).join('/');
    if (rel.startsWith('gateway/')) return 'gateway';
    if (rel.startsWith('engine-sim/')) return 'engine-sim';
    if (rel.startsWith('web/e2e/')) return 'web-e2e';
    if (rel.startsWith('web/')) return 'web';
    if (rel.startsWith('test/deploy/')) return 'deploy';
    return 'other';
  };
  const suites = new Map();
  for (const f of files) {
    if (!f.startTime || !f.endTime) continue;
    const s = suites.get(suiteOf(f.name)) ?? { files: 0, ms: 0, start: Infinity, end: 0, slowest: null };
    const ms = f.endTime - f.startTime;
    s.files++;
    s.ms += ms;
    s.start = Math.min(s.start, f.startTime);
    s.end = Math.max(s.end, f.endTime);
    if (!s.slowest || ms > s.slowest.ms) s.slowest = { ms, name: path.relative(process.cwd(), f.name) };
    suites.set(suiteOf(f.name), s);
  }
  const min = (ms) => (ms / 60_000).toFixed(1);
  for (const [name, s] of [...suites].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`suite ${name}: ${s.files} files, ${min(s.ms)} min of file time, ${min(s.end - s.start)} min wall; slowest ${s.slowest.name} ${min(s.slowest.ms)} min`);
  }
}
process.exit(failed > 0 ? 1 : 0);
