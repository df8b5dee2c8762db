/**
 * The web app in Debian's Chromium: the initial JavaScript (gzipped, from the files index.html
 * loads), DOM rows of the virtualized lists with 10,000 chats and a 10,000-message conversation, and
 * the time from pressing "Sign in" to the first chat row.
 *
 * Served by a static fixture: the real built app (web/dist) plus a fake API answering from memory
 * (10,000 chats, 10,000 messages; no gateway, no database), so the figures are the browser's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { DIST, ensureBuilt, launch } from '../web/e2e/support.js';
import type { Figure } from './support/report.js';

export const title = 'Web app: initial JS, virtualized lists with 10,000 rows, first chat list after sign-in (Chromium, fixture API)';

const CHATS = 10_000;
const MESSAGES = 10_000;
const PAGE = 2_000; // the fake pages generously so the whole set loads in a few scrolls
const user = { id: '00000000-0000-4000-8000-000000000001', orgId: 'o', email: 'bench@demo.test', name: 'Bench User', role: 'admin' };
const t0 = Date.now();
const chat = (i: number) => ({
  id: i + 1, deviceId: 'dev', jid: `49170${String(i).padStart(7, '0')}@s.whatsapp.net`, name: `Contact ${i + 1}`, isGroup: false,
  lastMessageAt: new Date(t0 - i * 60_000).toISOString(), lastMessageId: null, lastMessagePreview: `Last message of chat ${i + 1}`,
  unreadCount: i % 7 === 0 ? 3 : 0, access: 'owner', favorite: false, crm: null,
});
const message = (i: number) => ({
  id: MESSAGES - i, chatId: 1, deviceId: 'dev', engineMessageId: `E${i}`, clientId: null, direction: i % 3 ? 'in' : 'out', from: '491700000000@s.whatsapp.net',
  senderName: 'Contact 1', type: 'text', body: `Message number ${MESSAGES - i}${i % 5 ? '' : ' with a longer text that wraps onto a second line in the bubble to vary the row heights'}`,
  media: null, replyTo: null, status: i % 3 ? 'received' : 'read', error: null, sentAt: new Date(t0 - i * 600_000).toISOString(), editedAt: null, revoked: false,
});

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function fixture() {
  const served = { chatPages: 0, messagePages: 0 };
  const page = <T>(total: number, make: (i: number) => T, cursor: string | null) => {
    const from = cursor ? Number(cursor) : 0;
    const items = Array.from({ length: Math.min(PAGE, total - from) }, (_, k) => make(from + k));
    return { items, nextCursor: from + PAGE < total ? String(from + PAGE) : null };
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (p === '/api/auth/login') return json(res, { accessToken: 'a', refreshToken: 'r'.repeat(40), expiresIn: 900, user });
    if (p === '/api/system') return json(res, { demo: false, simulatorUrl: null, engines: ['waha'] });
    if (p === '/api/favorites') return json(res, { items: [] });
    if (p === '/api/shared-with-me' || p === '/api/devices') return json(res, { items: [], nextCursor: null });
    if (p === '/api/chats') {
      if (url.searchParams.get('favorite')) return json(res, { items: [], nextCursor: null });
      served.chatPages++;
      return json(res, page(CHATS, chat, url.searchParams.get('cursor')));
    }
    let m = /^\/api\/chats\/(\d+)$/.exec(p);
    if (m) return json(res, chat(Number(m[1]) - 1));
    m = /^\/api\/chats\/(\d+)\/messages$/.exec(p);
    if (m) {
      served.messagePages++;
      return json(res, page(MESSAGES, message, url.searchParams.get('before')));
    }
    if (p.startsWith('/api/') || p === '/ws') return json(res, { error: { code: 'not_found', message: 'fixture' } }, 404);
    const file = path.join(DIST, p === '/' ? 'index.html' : p);
    const f = file.startsWith(DIST) && existsSync(file) && !file.endsWith(path.sep) ? file : path.join(DIST, 'index.html');
    const type = f.endsWith('.js') ? 'text/javascript' : f.endsWith('.css') ? 'text/css' : f.endsWith('.html') ? 'text/html' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(f));
  });
  return { server, served };
}

/** The JavaScript index.html makes the browser load before anything is lazy-loaded. */
function initialJsGzipped(): number {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const srcs = [...html.matchAll(/<script[^>]+src="([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map((m) => m[1]!);
  return srcs.reduce((sum, s) => sum + gzipSync(readFileSync(path.join(DIST, s.replace(/^\//, '')))).length, 0);
}

export async function run(): Promise<Figure[]> {
  ensureBuilt();
  const initialKb = initialJsGzipped() / 1024;
  const { server, served } = fixture();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(base + '/chats');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('whatever-password');
    const start = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('chat-row').first().waitFor();
    const firstList = (await page.evaluate(() => performance.now())) - start;

    // Scroll the chat list to its end until all 10,000 chats are loaded, counting DOM rows on the way.
    const list = page.getByTestId('chat-list');
    let maxChatRows = 0;
    for (let i = 0; i < 40 && served.chatPages < CHATS / PAGE; i++) {
      await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(150);
      maxChatRows = Math.max(maxChatRows, await page.getByTestId('chat-row').count());
    }
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.waitForTimeout(200);
    maxChatRows = Math.max(maxChatRows, await page.getByTestId('chat-row').count());
    const chatHeight = await list.evaluate((el) => el.scrollHeight);

    // Open the first chat and scroll back through all 10,000 messages.
    await page.getByTestId('chat-row').first().click();
    await page.getByTestId('message').first().waitFor();
    const log = page.getByTestId('message-list');
    let maxMsgRows = 0;
    for (let i = 0; i < 60 && served.messagePages < MESSAGES / PAGE; i++) {
      await log.evaluate((el) => (el.scrollTop = 0));
      await page.waitForTimeout(200);
      maxMsgRows = Math.max(maxMsgRows, await page.getByTestId('message').count());
    }
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 3));
    await page.waitForTimeout(200);
    maxMsgRows = Math.max(maxMsgRows, await page.getByTestId('message').count());
    if (served.chatPages < CHATS / PAGE || served.messagePages < MESSAGES / PAGE) throw new Error(`not everything loaded: ${served.chatPages} chat pages, ${served.messagePages} message pages`);
    if (chatHeight < CHATS * 60) throw new Error(`chat list is ${chatHeight}px high: not all 10,000 rows are in it`);

    return [
      { name: 'initial JS (index.html scripts, gzipped)', value: Math.round(initialKb * 10) / 10, unit: 'KB', target: { op: '<=', value: 250 } },
      { name: 'chat list DOM rows with 10,000 chats loaded', value: maxChatRows, unit: 'rows', target: { op: '<=', value: 80 } },
      { name: 'conversation DOM rows with 10,000 messages loaded', value: maxMsgRows, unit: 'rows', target: { op: '<=', value: 80 } },
      { name: 'sign-in click → first chat row rendered', value: Math.round(firstList), unit: 'ms', target: { op: '<=', value: 1500 } },
    ];
  } finally {
    await browser.close();
    server.close();
  }
}
