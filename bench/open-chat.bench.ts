/**
 * Opening a 10,000-message chat in Debian's Chromium against the real gateway, PostgreSQL and
 * simulator: the time from the click on its row in the chat list to its newest message on screen
 * (inside the message list's visible box), 20 times, each in a freshly loaded page (after opening
 * another chat first), so each open fetches its messages from the gateway.
 */
import { startGateway } from './support/gateway-process.js';
import { call, connectedDevice, login, until } from './support/api.js';
import { pgClient } from './support/pg.js';
import { percentile, type Figure } from './support/report.js';
import { DIST, ensureBuilt, launch } from '../web/e2e/support.js';

export const title = 'Opening a 10,000-message chat: click on its row → newest message on screen (Chromium, real gateway + PostgreSQL)';

const MESSAGES = 10_000;
const RUNS = 20;

export async function run(): Promise<Figure[]> {
  ensureBuilt();
  const gw = await startGateway({ WEB_DIST_DIR: DIST });
  const pg = await pgClient(gw.databaseUrl);
  const browser = await launch();
  try {
    const token = await login(gw.url);
    const device = await connectedDevice(gw, token, pg);
    // The big chat and a small one to switch to; both written by a contact, then filled in SQL.
    for (const [from, body] of [['+4915170000001', 'hello big'], ['+4915170000002', 'hello small']]) {
      await call(gw.simUrl, 'POST', `/_sim/sessions/${device.engineSession}/inbound`, { body: { from, body, pushName: from.endsWith('1') ? 'Big Chat' : 'Small Chat' } });
    }
    const big = await until('chats', 15_000, async () => pg.first(`SELECT id FROM chats WHERE device_id = $1 AND jid = '4915170000001@s.whatsapp.net'`, [device.id]));
    const small = await until('chats', 15_000, async () => pg.first(`SELECT id FROM chats WHERE device_id = $1 AND jid = '4915170000002@s.whatsapp.net'`, [device.id]));
    const newest = await pg.first(
      `WITH ins AS (
         INSERT INTO messages (org_id, device_id, chat_id, engine_message_id, direction, sender_jid, type, body, ack, source, sent_at)
         SELECT c.org_id, c.device_id, c.id, 'BENCH' || g, CASE WHEN g % 3 = 0 THEN 'out' ELSE 'in' END, CASE WHEN g % 3 = 0 THEN NULL ELSE c.jid END, 'text',
           'message ' || g || CASE WHEN g % 5 = 0 THEN ' with a longer text that wraps onto a second line in the bubble to vary the row heights' ELSE '' END,
           CASE WHEN g % 3 = 0 THEN 3 ELSE 0 END, 'history', now() - interval '1 minute' - ($2::int - g) * interval '1 minute'
         FROM chats c, generate_series(1, $2::int) g WHERE c.id = $1 RETURNING id, sent_at)
       SELECT id FROM ins ORDER BY sent_at DESC LIMIT 1`,
      [big.id, MESSAGES],
    );
    // The contact's hello is the newest (written just now): that is the message the open must show.
    const last = await pg.first(`SELECT id FROM messages WHERE chat_id = $1 ORDER BY sent_at DESC, id DESC LIMIT 1`, [big.id]);
    if (!newest || !last) throw new Error('no messages written');
    await pg.first('ANALYZE messages, chats');

    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(`${gw.url}/chats`);
    await page.getByLabel('Email').fill('alice@demo.test');
    await page.getByLabel('Password').fill('demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`[data-chat-id="${big.id}"]`).waitFor();

    /** Clicks a row and resolves with ms until the message `id` lies in the message list's visible box. */
    // Written as text: tsx's name helpers (__name) do not exist in the page.
    const open = (chatId: number, id: number) =>
      page.evaluate(`new Promise((resolve, reject) => {
        const row = document.querySelector('[data-chat-id="${chatId}"]');
        if (!row) return reject(new Error('no row'));
        const t0 = performance.now();
        const check = () => {
          const el = document.querySelector('[data-message-id="${id}"]');
          const box = document.querySelector('[data-testid="message-list"]');
          if (el && box) {
            const r = el.getBoundingClientRect();
            const b = box.getBoundingClientRect();
            if (r.height > 0 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1) return resolve(performance.now() - t0);
          }
          if (performance.now() - t0 > 10000) return reject(new Error('newest message not shown within 10 s'));
          requestAnimationFrame(check);
        };
        row.click();
        requestAnimationFrame(check);
      })`) as Promise<number>;
    const smallLast = await pg.first(`SELECT id FROM messages WHERE chat_id = $1 ORDER BY sent_at DESC LIMIT 1`, [small.id]);
    const times: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      // A fresh page each time: the chat's messages are fetched, never shown from the app's cache.
      await page.reload();
      await page.locator(`[data-chat-id="${big.id}"]`).waitFor();
      await open(Number(small.id), Number(smallLast.id));
      const ms = await open(Number(big.id), Number(last.id));
      if (i >= 3) times.push(ms); // the first opens warm the browser's and the server's caches
    }
    times.sort((a, b) => a - b);
    return [
      { name: `click → newest message on screen, p50 (${RUNS} opens of a ${MESSAGES}-message chat)`, value: Math.round(percentile(times, 50)), unit: 'ms' },
      { name: 'click → newest message on screen, p95', value: Math.round(percentile(times, 95)), unit: 'ms', target: { op: '<=', value: 300 } },
    ];
  } finally {
    await browser.close();
    await pg.end();
    await gw.stop();
  }
}
