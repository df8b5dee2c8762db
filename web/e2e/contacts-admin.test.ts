/**
 * The contacts page and the admin screens in real Chromium against the real gateway, simulator and
 * PostgreSQL, at 1440×900 and at 390×844: "+" adds a contact that search then finds, the tag filter,
 * a CSV import preview with a row in error, the audit log naming who signed in (and whose sign-in
 * failed), the 404 page, and no page wider than the phone. Screenshots go to the folder printed.
 */
import path from 'node:path';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startEngineEnv, type EngineEnv } from '../../gateway/test/support/engine-env.js';
import { makeUser, PASSWORD } from '../../gateway/test/support/factories.js';
import { DIST, ensureBuilt, launch, overflow, SHOTS, watchConsole } from './support.js';

const DIR = path.join(SHOTS, 'contacts-admin');
let env: EngineEnv;
let browser: Browser;
let admin: { email: string; id: string; token: string };

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(DIR, `${name}.png`), fullPage: false });

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(DIR, { recursive: true });
  for (const f of readdirSync(DIR)) if (f.endsWith('.png')) rmSync(path.join(DIR, f));
  console.log(`contacts-admin screenshots: ${DIR}`);
  env = await startEngineEnv({ WEB_DIST_DIR: DIST, PHONE_DEFAULT_REGION: 'DE', DEMO_MODE: 'true' });
  const a = await makeUser(env.t.db, env.org.id, 'admin', { email: 'ada@e2e.test', name: 'Ada Admin' });
  await makeUser(env.t.db, env.org.id, 'viewer', { email: 'vic@e2e.test', name: 'Vic Viewer' });
  admin = { email: a.email, id: a.id, token: await env.login(a.email) };
  // A failed sign-in of an existing account (audited against Vic) and of an unknown email (only counted).
  expect((await env.http.post('/api/auth/login', { body: { email: 'vic@e2e.test', password: 'not-the-password' } })).status).toBe(401);
  expect((await env.http.post('/api/auth/login', { body: { email: 'nobody@e2e.test', password: 'not-the-password' } })).status).toBe(401);
  // The devices page needs a card to lay out: one device, waiting for its QR scan.
  expect((await env.http.post('/api/devices', { token: admin.token, body: { name: 'Front desk phone with a long name' } })).status).toBe(201);
  // Tags and a few contacts the filter can tell apart.
  const vip = (await env.http.post('/api/tags', { token: admin.token, body: { name: 'VIP', color: '#d81b60' } })).body;
  await env.http.post('/api/tags', { token: admin.token, body: { name: 'Supplier', color: '#1e88e5' } });
  for (const [i, n] of ['Berta Vogel', 'Carl Weber', 'Dora Klein'].entries()) {
    expect((await env.http.post('/api/contacts', { token: admin.token, body: { name: n, phone: `+49 151 2000000${i}`, tagIds: i === 1 ? [vip.id] : [] } })).status).toBe(201);
  }
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
});


const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe.each(VIEWPORTS)('contacts and admin at $name size ($width×$height)', (vp) => {
  let page: Page;
  const problems: string[] = [];
  const phone = vp.width < 800;
  const contactName = phone ? 'Paula Phone' : 'Dieter Desk';
  const number = phone ? '0151 30000002' : '0151 30000001';

  beforeAll(async () => {
    const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
    page = await ctx.newPage();
    watchConsole(page, problems);
    await page.goto(env.t.url + '/contacts');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await shot(page, `${vp.name}-failed-${ctx.task.name.slice(5, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('when the admin adds a contact with "+", then the form checks the number like the API, and search finds the new contact', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByTestId('contact-row').first().waitFor();
    await page.getByRole('button', { name: 'Add contact' }).click();
    const form = page.getByRole('form', { name: 'New contact' });
    await form.getByLabel('Name').fill(contactName);
    await form.getByLabel('Country').selectOption('DE');
    await form.getByLabel('Phone number').fill('12345');
    await form.getByRole('button', { name: 'Add contact' }).click();
    await form.getByText('"12345" is not a valid phone number').waitFor();
    await form.getByLabel('Phone number').fill(number);
    await form.getByLabel('Email').fill(`${contactName.split(' ')[0]!.toLowerCase()}@example.test`);
    await form.getByRole('checkbox', { name: 'Supplier' }).check();
    await shot(page, `${vp.name}-01-new-contact-form`);
    await form.getByRole('button', { name: 'Add contact' }).click();
    const details = page.getByTestId('contact-details');
    await details.getByRole('heading', { name: contactName }).waitFor();
    expect(await details.textContent()).toContain('Supplier');
    await shot(page, `${vp.name}-02-contact-card`);
    if (phone) await details.getByRole('button', { name: 'All contacts' }).click();
    await page.getByLabel('Search contacts').fill(contactName.split(' ')[1]!.toLowerCase());
    await expect.poll(async () => page.getByTestId('contact-row').allTextContents()).toEqual([expect.stringContaining(contactName)]);
    await shot(page, `${vp.name}-03-search`);
  });

  it('when a tag is chosen as filter, then only its contacts are listed; with favorites only the pinned ones', async () => {
    await page.getByLabel('Search contacts').fill('');
    await page.getByLabel('Filter by tag').selectOption({ label: 'VIP' });
    await expect.poll(async () => page.getByTestId('contact-row').allTextContents()).toEqual([expect.stringContaining('Carl Weber')]);
    await shot(page, `${vp.name}-04-tag-filter`);
    // Export follows the filters: the VIP contacts only.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const exported = readFileSync((await download.path())!, 'utf8');
    expect(exported).toContain('Carl Weber');
    expect(exported).not.toContain('Berta Vogel');
    await page.getByLabel('Filter by tag').selectOption({ label: 'All tags' });
    await page.getByTestId('contact-row').filter({ hasText: 'Dora Klein' }).getByRole('button', { name: 'Pin Dora Klein', exact: true }).click();
    await page.getByRole('button', { name: 'Favorites', exact: true }).click();
    await expect.poll(async () => page.getByTestId('contact-row').allTextContents()).toEqual([expect.stringContaining('Dora Klein')]);
    await page.getByRole('button', { name: 'Favorites', exact: true }).click();
    await page.getByTestId('contact-row').filter({ hasText: 'Dora Klein' }).getByRole('button', { name: 'Unpin Dora Klein', exact: true }).click();
  });

  it('when a CSV is chosen for import, then a preview shows the counts, the rows and the row in error; importing adds the valid rows', async () => {
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const tag = vp.name;
    const csv = ['Name,Phone,Email,Tags', `Imported ${tag} One,0151 4000${phone ? 1 : 2}001,one@x.test,Lead`, `Broken ${tag},12345,,`, `Imported ${tag} Two,0151 4000${phone ? 1 : 2}002,,`].join('\n');
    await page.getByTestId('csv-file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    expect(await preview.getByRole('status').textContent()).toMatch(/3 rows: 2 new, 0 to update, 0 unchanged, 1 with errors/);
    const errors = page.getByTestId('import-errors');
    expect(await errors.locator('tbody tr').first().textContent()).toBe('3phone"12345" is not a valid phone number');
    await shot(page, `${vp.name}-05-import-preview`);
    expect(await overflow(page)).toEqual([]);
    await page.getByRole('button', { name: 'Import 2 valid rows' }).click();
    await page.getByTestId('import-done').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByLabel('Search contacts').fill(`imported ${tag}`);
    await expect.poll(async () => (await page.getByTestId('contact-row').allTextContents()).length).toBe(2);
    await page.getByLabel('Search contacts').fill('');
  });

  it('when the admin opens the audit log, then sign-ins and the failed one show names, and filters narrow it', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await shot(page, `${vp.name}-06-users`);
    expect(await overflow(page)).toEqual([]);
    // The users table is sorted by name (the header sorts it), and a row's confirmation fits the window.
    expect((await page.getByTestId('user-row').locator('.user-name').allTextContents()).slice(0, 2)).toEqual(['Ada Admin', 'editor person']);
    const vic = page.getByTestId('user-row').filter({ hasText: 'Vic Viewer' });
    await vic.getByRole('button', { name: 'Deactivate' }).click();
    await vic.getByRole('button', { name: 'Cancel' }).waitFor();
    expect(await overflow(page)).toEqual([]);
    await vic.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const log = page.getByTestId('audit-log');
    await log.getByText('Signed in').first().waitFor();
    await page.getByLabel('Action').selectOption({ label: 'Sign-ins' });
    await expect.poll(async () => (await log.getByTestId('audit-entry').allTextContents()).join('\n')).toContain('Ada Admin');
    const entries = await log.getByTestId('audit-entry').allTextContents();
    expect(entries.some((e) => e.includes('Failed sign-in') && e.includes('Vic Viewer'))).toBe(true);
    expect(entries.some((e) => e.includes('Signed in') && e.includes('Ada Admin'))).toBe(true);
    expect(entries.join('\n')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // names, never raw ids
    await page.getByLabel('Action').selectOption({ label: 'Contacts' });
    await page.getByLabel('By').selectOption({ label: 'Ada Admin' });
    await expect.poll(async () => (await log.getByTestId('audit-entry').allTextContents()).join('\n')).toContain(contactName);
    await shot(page, `${vp.name}-07-audit`);
    expect(await overflow(page)).toEqual([]);
  });

  it('when the pages are opened, then none is wider than the window, the 404 page leads back, and nothing was logged to the console', async () => {
    for (const [p, heading] of [
      ['/contacts', 'Contacts'],
      ['/devices', 'Devices'],
      ['/admin', 'Administration'],
      ['/no-such-page', 'Page not found'],
    ] as const) {
      await page.goto(env.t.url + p);
      await page.getByRole('heading', { name: heading }).waitFor();
      await page.waitForTimeout(300);
      await shot(page, `${vp.name}-08-${p.slice(1)}`);
      expect(await overflow(page), p).toEqual([]);
    }
    await page.getByRole('link', { name: 'Back to chats' }).click();
    await page.waitForURL(/\/chats$/);
    await page.goto(env.t.url + '/devices');
    const card = page.getByTestId('device-card');
    await card.waitFor();
    expect(await page.getByRole('note').count()).toBe(1); // the demo note, once
    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Cancel' }).waitFor();
    await shot(page, `${vp.name}-09-device-confirm`);
    expect(await overflow(page)).toEqual([]);
    await card.getByRole('button', { name: 'Cancel' }).click();
    expect(problems).toEqual([]);
  });
});

describe('a viewer on a phone (390×844)', () => {
  it('when a viewer without chats signs in, then the empty list does not ask to link a device, a missing chat leads back, and contacts are read-only', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const problems: string[] = [];
    watchConsole(page, problems);
    try {
      await page.goto(env.t.url + '/chats');
      await page.getByLabel('Email').fill('vic@e2e.test');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('You see chats once a colleague adds you to one of their devices or shares a chat with you.').waitFor();
      expect(await page.getByText('Link a device').count()).toBe(0);
      await shot(page, 'viewer-01-empty-chats');

      await page.goto(env.t.url + '/chats/424242');
      await page.getByRole('heading', { name: 'Chat not found' }).waitFor();
      await shot(page, 'viewer-02-chat-not-found');
      expect(await overflow(page)).toEqual([]);
      await page.getByRole('link', { name: 'Back to chats' }).click();
      await page.waitForURL(/\/chats$/);

      await page.getByRole('link', { name: 'Contacts' }).click();
      await page.getByTestId('contact-row').first().waitFor();
      expect(await page.getByRole('button', { name: 'Add contact' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Import CSV' }).count()).toBe(0);
      await page.getByTestId('contact-row').first().getByRole('button').first().click();
      await page.getByTestId('contact-details').waitFor();
      expect(await page.getByTestId('contact-details').getByRole('button', { name: 'Edit' }).count()).toBe(0);
      await shot(page, 'viewer-03-contact');
      expect(await overflow(page)).toEqual([]);
      // The only failure was the chat that does not exist.
      expect(problems.filter((p) => !p.includes('/api/chats/424242') && !p.includes('404 (Not Found)'))).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
