/**
 * The walk-through in real Chromium against the real gateway, the engine simulator and
 * PostgreSQL: pair by QR, history with its progress bar, live messages, a read-only share seen
 * by a colleague, ticks to read, favorites, tags and "+". Screenshots go to e2e/screenshots.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { control, eventually, startEngineEnv, type EngineEnv } from '../../gateway/test/support/engine-env.js';
import { makeUser, PASSWORD } from '../../gateway/test/support/factories.js';
import { clearShots, DIST, ensureBuilt, launch, shot, watchConsole } from './support.js';

let env: EngineEnv;
let browser: Browser;
let alice: { email: string; token: string; id: string };
let carol: { email: string; id: string };
let aliceCtx: BrowserContext;
let page: Page;
let carolPage: Page;
const consoleProblems: string[] = [];
const routes = new Set<string>();
const BOB = '4915110000001';
const DANA = '4915110000002';
let session = '';
let bobChatId = 0;

/** A step needs backend routes that may not have landed yet: say so instead of passing. */
const needs = (...paths: string[]) => paths.filter((p) => !routes.has(p));

beforeAll(async () => {
  ensureBuilt();
  clearShots();
  env = await startEngineEnv({ WEB_DIST_DIR: DIST });
  const a = await makeUser(env.t.db, env.org.id, 'admin', { email: 'alice@e2e.test', name: 'Alice Admin' });
  const c = await makeUser(env.t.db, env.org.id, 'viewer', { email: 'carol@e2e.test', name: 'Carol Colleague' });
  alice = { email: a.email, id: a.id, token: await env.login(a.email) };
  carol = { email: c.email, id: c.id };
  const doc = (await env.http.get('/api/openapi.json')).body as { paths: Record<string, unknown> };
  for (const p of Object.keys(doc.paths)) routes.add(p.replace(/\{(\w+)\}/g, ':$1'));
  browser = await launch();
  aliceCtx = await browser.newContext({ viewport: { width: 1400, height: 880 } });
  page = await aliceCtx.newPage();
  watchConsole(page, consoleProblems);
}, 240_000);

afterEach(async (ctx) => {
  // A failed step leaves a picture of what the browser showed.
  if (ctx.task.result?.state === 'fail') await shot(page, `failed-${ctx.task.name.slice(5, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

async function signIn(p: Page, email: string) {
  await p.goto(env.t.url + '/');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(PASSWORD);
}

describe('the web app in Chromium', () => {
  it('when alice signs in with a wrong password, then she reads why; with the right one, the chats open', async () => {
    await signIn(page, alice.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    consoleProblems.length = 0; // the browser logs the 401 it was told to expect
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, '01-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    await page.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
  });

  it('when alice adds a device, then the live QR shows, and after the simulated scan the history imports with its progress bar', async () => {
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByLabel('New device name').fill('Alice phone');
    await page.getByRole('button', { name: 'Add device' }).click();
    const qr = page.getByTestId('pairing-qr');
    await qr.waitFor({ timeout: 20_000 });
    expect(await qr.getAttribute('data-qr')).toBeTruthy();
    expect(await qr.locator('svg path').count()).toBeGreaterThan(0);
    await shot(page, '02-devices-qr');

    const devices = (await env.http.get('/api/devices', { token: alice.token })).body as { items: { id: string; engineSession: string }[] };
    session = devices.items[0]!.engineSession;
    await control(env.sim).post(`/sessions/${session}/history`, { body: { chats: 6, messagesPerChat: 40 } });
    await control(env.sim).post(`/sessions/${session}/scan`, { body: {} });
    const card = page.getByTestId('device-card');
    await card.getByText('Connected').waitFor({ timeout: 20_000 });
    await page.getByTestId('sync-progress').waitFor({ timeout: 20_000 });
    await shot(page, '03-devices-sync');
    await page.getByText('Complete').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('sync-counts').textContent()).toMatch(/[\d,]+ (of [\d,]+ )?messages · \d+ of \d+ chats/);
    await shot(page, '04-devices-synced');
  });

  it('when a contact writes, then the message appears live in the list and in the open chat, without a reload', async (ctx) => {
    const missing = needs('/api/chats', '/ws');
    if (missing.length) return ctx.skip(`backend routes missing: ${missing.join(', ')}`);
    // Bob is in the CRM (so he can be pinned and tagged later); Dana is only on WhatsApp.
    await env.http.post('/api/contacts', { token: alice.token, body: { name: 'Bob Buyer', phone: `+${BOB}`, company: 'Buyer GmbH' } });
    await page.getByRole('link', { name: 'Chats' }).click();
    await page.getByTestId('chat-row').first().waitFor({ timeout: 20_000 });
    await control(env.sim).post(`/sessions/${session}/inbound`, { body: { from: BOB, body: 'Hello from Bob, is the offer ready?', pushName: 'Bob B.' } });
    const row = page.getByTestId('chat-row').filter({ hasText: /Bob/ });
    await row.waitFor({ timeout: 15_000 });
    await row.first().click();
    await page.getByTestId('message').filter({ hasText: 'is the offer ready?' }).waitFor();
    bobChatId = Number(await row.first().getAttribute('data-chat-id'));
    await control(env.sim).post(`/sessions/${session}/inbound`, { body: { from: BOB, body: 'And the delivery date?', pushName: 'Bob B.' } });
    await page.getByTestId('message').filter({ hasText: 'And the delivery date?' }).waitFor({ timeout: 15_000 });
    await shot(page, '05-conversation');
  });

  it('when alice shares the chat with carol, then carol sees it under "Shared with me", live, and without a composer', async (ctx) => {
    const missing = needs('/api/chats/:id/shares', '/api/shared-with-me');
    if (missing.length || !bobChatId) return ctx.skip(`needs ${missing.join(', ') || 'the chat from the previous step'}`);
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Colleague').selectOption({ label: `Carol Colleague (${carol.email})` });
    await dialog.getByRole('button', { name: 'Share read-only' }).click();
    await dialog.getByText('Carol Colleague').first().waitFor();
    await shot(page, '06-share-dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();

    const carolCtx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    carolPage = await carolCtx.newPage();
    watchConsole(carolPage, consoleProblems);
    await signIn(carolPage, carol.email);
    await carolPage.getByRole('button', { name: 'Sign in' }).click();
    await carolPage.getByTestId('section-shared').waitFor({ timeout: 15_000 });
    await carolPage.getByTestId('chat-row').filter({ hasText: 'Bob' }).first().click();
    await carolPage.getByTestId('readonly-note').waitFor();
    expect(await carolPage.getByLabel('Message', { exact: true }).count()).toBe(0);
    await carolPage.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await control(env.sim).post(`/sessions/${session}/inbound`, { body: { from: BOB, body: 'Carol should see this live', pushName: 'Bob B.' } });
    await carolPage.getByTestId('message').filter({ hasText: 'Carol should see this live' }).waitFor({ timeout: 15_000 });
    await shot(carolPage, '07-carol-shared-readonly');
  });

  it('when alice replies, then the tick goes from pending to read after the simulator’s ack', async (ctx) => {
    const missing = needs('/api/chats/:id/messages', '/api/messages/:id/retry');
    if (missing.length || !bobChatId) return ctx.skip(`needs ${missing.join(', ') || 'the chat from the previous step'}`);
    const box = page.getByLabel('Message', { exact: true });
    await box.fill('Yes, the offer is attached tomorrow.');
    await box.press('Enter');
    const mine = page.getByTestId('message').filter({ hasText: 'the offer is attached tomorrow' });
    await mine.waitFor();
    await eventually(async () => ['sent', 'delivered'].includes((await mine.getAttribute('data-status')) ?? ''), 15_000, 'sent tick');
    const msgs = (await env.http.get(`/api/chats/${bobChatId}/messages?limit=5`, { token: alice.token })).body as { items: { body: string; engineMessageId: string | null }[] };
    const sent = msgs.items.find((m) => m.body?.includes('attached tomorrow'))!;
    await control(env.sim).post(`/sessions/${session}/ack`, { body: { messageId: sent.engineMessageId, ack: 'READ' } });
    await eventually(async () => (await mine.getAttribute('data-status')) === 'read', 15_000, 'read tick');
    expect(await mine.getByRole('img', { name: 'Read' }).count()).toBe(1);
    await shot(page, '08-read-ticks');
  });

  it('when alice pins bob and tags him, then he sits in favorites and the tag shows on his card', async (ctx) => {
    if (!bobChatId) return ctx.skip('needs the chat from the earlier step');
    await env.http.post('/api/tags', { token: alice.token, body: { name: 'VIP', color: '#e53935' } });
    const card = page.getByTestId('contact-card');
    // The contact panel opens on request (the header's "Contact details"), not on every chat.
    if (!(await card.isVisible())) await page.getByRole('button', { name: 'Contact details', exact: true }).click();
    await card.waitFor({ timeout: 10_000 });
    await card.getByTestId('pin-contact').click();
    await page.getByTestId('section-fav').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="chat-row"][data-section="fav"]').filter({ hasText: 'Bob Buyer' }).waitFor();
    await card.getByRole('button', { name: 'Add tag' }).click();
    await card.getByRole('button', { name: 'VIP' }).click();
    await card.getByTestId('contact-tags').getByText('VIP').waitFor();
    await shot(page, '09-favorites-and-tag');
  });

  it('when a WhatsApp-only person writes, then "+" adds them to the contacts', async (ctx) => {
    if (!session) return ctx.skip('needs the paired device');
    await control(env.sim).post(`/sessions/${session}/inbound`, { body: { from: DANA, body: 'Hi, Dana here', pushName: 'Dana Doe' } });
    const row = page.getByTestId('chat-row').filter({ hasText: 'Hi, Dana here' });
    await row.first().waitFor({ timeout: 15_000 });
    await row.first().click();
    const add = page.getByTestId('add-contact');
    const details = page.getByRole('button', { name: 'Contact details', exact: true });
    await details.waitFor();
    if ((await details.getAttribute('aria-pressed')) !== 'true') await details.click();
    await add.waitFor();
    await shot(page, '10-whatsapp-only');
    await add.click();
    await page.getByTestId('contact-name').waitFor();
    expect(await page.getByTestId('contact-name').textContent()).toContain('Dana');
  });

  it('when alice searches, then the snippet is highlighted and opens the chat at that message', async (ctx) => {
    if (needs('/api/search').length) return ctx.skip('GET /api/search is missing');
    await page.getByRole('link', { name: 'Search' }).click();
    await page.locator('#msg-search').fill('delivery');
    const hit = page.getByTestId('search-hit').first();
    await hit.waitFor({ timeout: 10_000 });
    expect(await hit.locator('mark').count()).toBeGreaterThan(0);
    await shot(page, '11-search');
    await hit.click();
    await page.locator('.msg.highlighted').filter({ hasText: 'delivery date' }).waitFor({ timeout: 10_000 });
  });

  it('when the admin opens administration, and the window is phone-sized, then the screens fit', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('cell', { name: carol.email }).waitFor();
    await shot(page, '12-admin');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${env.t.url}/chats/${bobChatId}`);
    await page.getByTestId('message-list').waitFor();
    expect(await page.getByTestId('chat-list').isVisible()).toBe(false);
    await shot(page, '13-phone-conversation');
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await page.getByTestId('chat-list').waitFor();
    await shot(page, '14-phone-list');
  });

  it('when the session went normally, then the browser logged no errors or warnings', () => {
    expect(consoleProblems).toEqual([]);
  });
});
