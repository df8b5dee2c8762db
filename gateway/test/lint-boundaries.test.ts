import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run lint`'s boundary rules, tested on deliberate violations written into temporary files
 * under the linted folders (the repository's eslint.config.js, ESLint's Node API), then removed.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const probe = `lintprobe${randomBytes(3).toString('hex')}`;
const gwDir = path.join(root, 'gateway/src/features', probe);
const webDir = path.join(root, 'web/src/features', probe);
afterAll(() => {
  rmSync(gwDir, { recursive: true, force: true });
  rmSync(webDir, { recursive: true, force: true });
});

function write(dir: string, name: string, text: string) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
async function lint(file: string) {
  const [r] = await new ESLint({ cwd: root }).lintFiles([file]);
  return r!.messages.map((m) => m.ruleId);
}

describe('lint boundaries', () => {
  it('when a feature imports another feature’s repository, then lint fails; through its service, it passes', async () => {
    const bad = write(gwDir, `${probe}.bad.ts`, `import { findActiveByEmail } from '../users/users.repository.js';\nexport const f = findActiveByEmail;\n`);
    const good = write(gwDir, `${probe}.good.ts`, `import { findActiveByEmail } from '../users/users.service.js';\nexport const f = findActiveByEmail;\n`);
    expect(await lint(bad)).toContain('no-restricted-imports');
    expect(await lint(good)).toEqual([]);
  }, 60_000);

  it('when two modules import each other, then lint fails on the cycle', async () => {
    const a = write(gwDir, `${probe}.a.ts`, `import { b } from './${probe}.b.js';\nexport const a = () => b;\n`);
    write(gwDir, `${probe}.b.ts`, `import { a } from './${probe}.a.js';\nexport const b = () => a;\n`);
    expect(await lint(a)).toContain('import-x/no-cycle');
  }, 60_000);

  it('when a web feature imports another web feature, then lint fails; the shared api is fine', async () => {
    const bad = write(webDir, 'probe-page.tsx', `import { chatTitle } from '../chats/chat.types';\nexport const t = chatTitle;\n`);
    const good = write(webDir, 'probe-ok.ts', `import { api } from '../../api/api';\nexport const a = api;\n`);
    expect(await lint(bad)).toContain('no-restricted-imports');
    expect(await lint(good)).toEqual([]);
  }, 60_000);
});
