/**
 * The conversation view and sending in real Chromium against the real gateway, simulator and
 * PostgreSQL, at 1440×900 and 390×844: a 300-message chat opens on its newest message; a send in a
 * second tab reorders the first tab's list; a search hit opens centred and highlighted; an engine
 * outage shows "not sent — retrying" with Retry now within seconds; a chat started by number; no
 * page wider than the phone; no console errors. Screenshots go to the folder printed.
 */
import path from 'node:path';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { control, startEngineEnv, type EngineEnv } from '../../gateway/test/support/engine-env.js';
import { PASSWORD } from '../../gateway/test/support/factories.js';
import { connectedDevice, inboundChat, type Device } from '../../gateway/test/outbox/outbox-env.js';
import { DIST, ensureBuilt, launch, overflow, SHOTS, watchConsole } from './support.js';

const DIR = path.join(SHOTS, 'conversation');
let env: EngineEnv;
let browser: Browser;
let device: Device;
let longChat: number;
let oldHit: number;
let newestId: number;
const others: number[] = [];

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(DIR, `${name}.png`), fullPage: false });

/** 300 messages over the last days, alternating in and out; message 20 carries a word nothing else has. */
async function fillLongChat(chatId: number) {
  const { rows } = await env.t.db.raw(
    `INSERT INTO messages (org_id, device_id, chat_id, engine_message_id, direction, sender_jid, type, body, ack, source, sent_at)
     SELECT c.org_id, c.device_id, c.id, 'LONG' || g, CASE WHEN g % 3 = 0 THEN 'out' ELSE 'in' END, CASE WHEN g % 3 = 0 THEN NULL ELSE c.jid END, 'text',
       CASE WHEN g = 20 THEN 'the zebracrossing offer from long ago' WHEN g = 300 THEN 'newest of three hundred' ELSE 'message number ' || g END,
       CASE WHEN g % 3 = 0 THEN 3 ELSE 0 END, 'app', now() - (300 - g) * interval '7 minutes'
     FROM chats c, generate_series(1, 300) g WHERE c.id = ? RETURNING id, body`,
    [chatId],
  );
  const last = rows.find((r: { body: string }) => r.body === 'newest of three hundred');
  newestId = Number(last.id);
  oldHit = Number(rows.find((r: { body: string }) => r.body.includes('zebracrossing')).id);
  await env.t.db.raw(`UPDATE chats SET last_message_id = ?, last_message_at = now(), last_message_preview = ?, unread_count = 3 WHERE id = ?`, [last.id, last.body, chatId]);
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(DIR, { recursive: true });
  for (const f of readdirSync(DIR)) if (f.endsWith('.png')) rmSync(path.join(DIR, f));
  console.log(`conversation screenshots: ${DIR}`);
  env = await startEngineEnv({ WEB_DIST_DIR: DIST, PHONE_DEFAULT_REGION: 'DE', OUTBOX_RETRY_BASE_MS: '30000', OUTBOX_POLL_MS: '200' });
  device = await connectedDevice(env, 'waha');
  longChat = (await inboundChat(env, device, '+4915160000001', 'first hello')).chatId;
  await env.t.db('chats').where({ id: longChat }).update({ name: 'Long Talk' });
  await fillLongChat(longChat);
  for (let i = 2; i <= 4; i++) others.push((await inboundChat(env, device, `+491516000000${i}`, `hello from ${i}`, { pushName: `Person ${i}` })).chatId);
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await control(env.sim).post('/faults', { body: { down: false } }).catch(() => undefined);
  await browser?.close();
  await env?.close();
});


/** Whether an element lies inside the message list's visible box. */
async function inView(page: Page, selector: string) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const box = document.querySelector('[data-testid="message-list"]');
    if (!el || !box) return false;
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return r.bottom > b.top + 2 && r.top < b.bottom - 2 && r.height > 0;
  }, selector);
}

const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe.each(VIEWPORTS)('conversation at $name size ($width×$height)', (vp) => {
  let ctx: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const phone = vp.width < 800;

  async function signIn(p: Page) {
    await p.goto(env.t.url + '/chats');
    await p.getByLabel('Email').fill(env.owner.email);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByTestId('chat-row').first().waitFor();
  }

  beforeAll(async () => {
    ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
    page = await ctx.newPage();
    watchConsole(page, problems);
    await signIn(page);
  });
  afterEach(async (c) => {
    if (c.task.result?.state === 'fail') await shot(page, `${vp.name}-failed-${c.task.name.slice(5, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('when a 300-message chat is opened (and reloaded), then its newest message is on screen and stays there', async () => {
    await env.t.db('chats').where({ id: longChat }).update({ unread_count: 3 });
    await page.getByTestId('chat-row').filter({ hasText: 'Long Talk' }).click();
    const newest = page.getByTestId('message').filter({ hasText: 'newest of three hundred' });
    await newest.waitFor();
    await expect.poll(() => inView(page, `[data-message-id="${newestId}"]`), { timeout: 5_000 }).toBe(true);
    await page.waitForTimeout(800); // nothing loads by itself and pulls the view up
    expect(await inView(page, `[data-message-id="${newestId}"]`)).toBe(true);
    expect(await page.evaluate(() => {
      const el = document.querySelector('[data-testid="message-list"]')!;
      return el.scrollHeight - el.scrollTop - el.clientHeight;
    })).toBeLessThan(90);
    await page.getByTestId('unread-divider').waitFor();
    await shot(page, `${vp.name}-01-opened-at-newest`);
    await page.reload();
    await newest.waitFor();
    await page.waitForTimeout(600);
    expect(await inView(page, `[data-message-id="${newestId}"]`)).toBe(true);
    // Scrolling up loads older messages and keeps the one on screen in place.
    const list = page.getByTestId('message-list');
    const height0 = await list.evaluate((el) => el.scrollHeight);
    // The older page is held back a moment, as a real network would, so the message on top is read
    // before it lands (on a fast machine it could land within the 50 ms and move the top first).
    const older = /\/api\/chats\/\d+\/messages\?.*before=/;
    await page.route(older, async (route) => {
      await new Promise((r) => setTimeout(r, 700));
      await route.continue();
    });
    await list.evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(50);
    const topId = await page.evaluate(() => {
      const box = document.querySelector('[data-testid="message-list"]')!.getBoundingClientRect();
      const all = Array.from(document.querySelectorAll<HTMLElement>('[data-testid="message"]'));
      return all.find((m) => m.getBoundingClientRect().top >= box.top - 1)?.dataset.messageId;
    });
    await expect.poll(() => list.evaluate((el) => el.scrollHeight), { timeout: 5_000 }).toBeGreaterThan(height0 + 1000);
    await page.unroute(older);
    await page.waitForTimeout(300);
    expect(await inView(page, `[data-message-id="${topId}"]`)).toBe(true);
    expect(await list.evaluate((el) => el.scrollTop)).toBeGreaterThan(500); // not thrown to the top of the new page
    await page.getByTestId('jump-latest').waitFor();
    await shot(page, `${vp.name}-02-scrolled-up`);
    await page.getByTestId('jump-latest').click();
    await expect.poll(() => inView(page, `[data-message-id="${newestId}"]`)).toBe(true);
  });

  it('when a message is sent in a second tab, then the first tab’s list moves that chat to the top with its preview', async () => {
    const target = others[phone ? 0 : 1]!;
    await page.goto(`${env.t.url}/chats`);
    await page.getByTestId('chat-row').first().waitFor();
    expect(await page.getByTestId('chat-row').first().getAttribute('data-chat-id')).not.toBe(String(target));
    const second = await ctx.newPage();
    watchConsole(second, problems);
    await second.goto(`${env.t.url}/chats/${target}`);
    const text = `from the other tab ${vp.name}`;
    await second.getByRole('textbox', { name: 'Message' }).fill(text);
    await second.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect.poll(async () => page.getByTestId('chat-row').first().getAttribute('data-chat-id'), { timeout: 10_000 }).toBe(String(target));
    await expect.poll(async () => page.getByTestId('chat-row').first().textContent(), { timeout: 5_000 }).toContain(text);
    await shot(page, `${vp.name}-03-list-after-send-elsewhere`);
    await second.close();
  });

  it('when an old search result is opened, then the hit is on screen and highlighted, and the newest is one jump away', async () => {
    await page.goto(`${env.t.url}/search?q=zebracrossing`);
    await page.getByTestId('search-hit').first().click();
    const hit = page.locator(`[data-message-id="${oldHit}"]`);
    await hit.waitFor();
    await expect.poll(() => inView(page, `[data-message-id="${oldHit}"]`), { timeout: 5_000 }).toBe(true);
    expect(await hit.getAttribute('class')).toContain('highlighted');
    await page.waitForTimeout(500);
    expect(await inView(page, `[data-message-id="${oldHit}"]`)).toBe(true);
    // A message arriving now stays out of this slice of the past.
    await control(env.sim).post(`/sessions/${device.engineSession}/inbound`, { body: { from: '+4915160000001', body: `live while reading ${vp.name}`, pushName: 'Long' } });
    await page.waitForTimeout(1_000);
    expect(await page.getByTestId('message-list').getByText(`live while reading ${vp.name}`).count()).toBe(0);
    await shot(page, `${vp.name}-04-search-hit-highlighted`);
    await page.getByTestId('jump-latest').click();
    await page.getByTestId('message-list').getByText(`live while reading ${vp.name}`).waitFor();
    expect(new URL(page.url()).search).toBe('');
  });

  it('when the engine goes down during a send, then the bubble says "not sent — retrying" with the reason and Retry now, which sends it once it is back', async () => {
    const target = others[2]!;
    await page.goto(`${env.t.url}/chats/${target}`);
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await control(env.sim).post('/faults', { body: { down: true } });
    const text = `during the outage ${vp.name}`;
    const t0 = Date.now();
    try {
      await page.getByRole('textbox', { name: 'Message' }).fill(text);
      await page.getByRole('textbox', { name: 'Message' }).press('Enter');
      const bubble = page.getByTestId('message').filter({ hasText: text });
      await bubble.getByTestId('send-failure').waitFor({ timeout: 10_000 });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await bubble.getByTestId('send-failure').textContent()).toMatch(/Not sent — retrying.*engine/i);
      await bubble.getByRole('button', { name: 'Retry now' }).waitFor();
      await shot(page, `${vp.name}-05-not-sent-retrying`);
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
    const bubble = page.getByTestId('message').filter({ hasText: text });
    await bubble.getByRole('button', { name: 'Retry now' }).click();
    await expect.poll(async () => bubble.getAttribute('data-status'), { timeout: 10_000 }).toMatch(/sent|delivered|read/);
    expect(await bubble.getByTestId('send-failure').count()).toBe(0);
  });

  it('when a phone number is typed in "Search or start a chat", then a chat with it starts and a first message goes out', async () => {
    await page.goto(`${env.t.url}/chats`);
    const number = phone ? '0151 7000 1002' : '+49 151 7000 1001';
    await page.getByPlaceholder('Search or start a chat').fill(number);
    await page.getByTestId('start-chat').getByRole('button', { name: /Start a chat with/ }).click();
    await page.getByTestId('conversation-title').waitFor();
    expect(await page.getByTestId('conversation-title').textContent()).toContain(phone ? '4915170001002' : '4915170001001');
    await page.getByRole('textbox', { name: 'Message' }).fill('hello, new chat');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await page.getByTestId('message').filter({ hasText: 'hello, new chat' }).waitFor();
    await shot(page, `${vp.name}-06-started-by-number`);
    if (phone) await page.getByRole('button', { name: 'Back to chats' }).click();
    await expect.poll(async () => page.getByTestId('chat-row').first().textContent(), { timeout: 10_000 }).toContain('hello, new chat');
  });

  it('when a chat row is pressed, then its messages are asked for before the release, once, and its newest shows without waiting for the chat’s own answer', async () => {
    await page.goto(`${env.t.url}/chats`);
    const row = page.locator(`[data-chat-id="${longChat}"]`).first();
    await row.waitFor();
    const newest = await env.t.db('messages').where({ chat_id: longChat }).whereNull('deleted_at').orderBy([{ column: 'sent_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
    const asked: string[] = [];
    const onRequest = (r: { url(): string }) => void (new URL(r.url()).pathname === `/api/chats/${longChat}/messages` && asked.push(r.url()));
    page.on('request', onRequest);
    // The chat's own answer is held back 3 s: the conversation must not wait for it.
    const chatAnswer = new RegExp(`/api/chats/${longChat}$`);
    let held: Promise<void> = Promise.resolve();
    await page.route(chatAnswer, (route) => void (held = new Promise((r) => setTimeout(r, 3_000)).then(() => route.continue().catch(() => undefined))));
    try {
      const box = (await row.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await expect.poll(() => asked.length, { timeout: 2_000, interval: 20 }).toBe(1);
      await page.mouse.up();
      const t0 = Date.now();
      await expect.poll(() => inView(page, `[data-message-id="${newest.id}"]`), { timeout: 2_500, interval: 50 }).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2_500);
      await held;
      await page.waitForTimeout(300);
      expect(asked).toHaveLength(1); // the conversation found the press's request, and asked nothing again
      expect(await inView(page, `[data-message-id="${newest.id}"]`)).toBe(true);
    } finally {
      page.off('request', onRequest);
      await held;
      await page.unroute(chatAnswer);
    }
  });

  it('when the mouse rests on a chat row, then its messages are asked for once; a pointer passing over rows asks nothing', async () => {
    await page.goto(`${env.t.url}/chats`);
    const [rest, pass] = [others[0]!, others[1]!];
    await page.locator(`[data-chat-id="${pass}"]`).first().waitFor();
    const asked: string[] = [];
    const onRequest = (r: { url(): string }) => void (/^\/api\/chats\/\d+\/messages$/.test(new URL(r.url()).pathname) && asked.push(new URL(r.url()).pathname));
    page.on('request', onRequest);
    try {
      const at = async (id: number) => {
        const b = (await page.locator(`[data-chat-id="${id}"]`).first().boundingBox())!;
        return [b.x + b.width / 2, b.y + b.height / 2] as const;
      };
      const [over, on] = [await at(pass), await at(rest)];
      await page.mouse.move(...over); // and straight on: well under the rest time
      await page.mouse.move(...on);
      await expect.poll(() => asked, { timeout: 2_000, interval: 20 }).toEqual([`/api/chats/${rest}/messages`]);
      await page.waitForTimeout(400);
      expect(asked).toEqual([`/api/chats/${rest}/messages`]);
    } finally {
      page.off('request', onRequest);
      await page.mouse.move(0, 0);
    }
  });

  it('when the chat screens are shown, then nothing is wider than the window and the console stayed clean', async () => {
    await page.goto(`${env.t.url}/chats/${longChat}`);
    await page.getByTestId('message').first().waitFor();
    await page.getByTestId('emoji-button').click();
    await page.getByTestId('emoji-picker').waitFor();
    await shot(page, `${vp.name}-07-emoji`);
    expect(await overflow(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.goto(`${env.t.url}/chats`);
    await page.getByTestId('chat-row').first().waitFor();
    expect(await overflow(page)).toEqual([]);
    // The outage above answered 5xx from the engine, never from the app to the browser.
    expect(problems.filter((p) => !/WebSocket/.test(p))).toEqual([]);
  });
});
