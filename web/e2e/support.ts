import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(WEB_DIR, 'dist');
export const SHOTS = path.join(WEB_DIR, 'e2e', 'screenshots');

/** The built app (the gateway serves web/dist), rebuilt when an input is newer than the last build. */
export function ensureBuilt() {
  // vitest sets NODE_ENV=test, which would keep Redux Toolkit's development checks (and their console
  // warnings on a slow machine) in the build: the app under test is the production build.
  execFileSync(process.execPath, [path.join(WEB_DIR, '..', 'scripts', 'build.mjs'), 'web'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}

/** Debian's Chromium, never a downloaded one; playwright gives each launch a fresh profile directory. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Console errors and warnings of a page (a normal session must have none). */
export function watchConsole(page: Page, into: string[]) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') into.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => into.push(`pageerror: ${e.message}`));
  // Name the request behind a "Failed to load resource" line.
  page.on('response', (r) => {
    if (r.status() >= 400) into.push(`http ${r.status()}: ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
}

export async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Pictures of this run only. */
export function clearShots() {
  if (!existsSync(SHOTS)) return;
  for (const f of readdirSync(SHOTS)) if (f.endsWith('.png')) rmSync(path.join(SHOTS, f));
}

/** Visible things that reach past the right edge of the window (a cut-off button, a table too wide). */
export async function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > w + 1) out.push(`document ${document.documentElement.scrollWidth}px`);
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1 || r.right <= w + 1) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.position === 'fixed') continue;
      out.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 30)}" right=${Math.round(r.right)}`);
    }
    return out.slice(0, 10);
  });
}
