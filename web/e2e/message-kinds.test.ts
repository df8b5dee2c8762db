/**
 * A conversation holding every kind a phone sends, and the chat's system lines, rendered in real
 * Chromium against the real gateway, the simulator and PostgreSQL. The kinds arrive as signed WAHA
 * webhooks shaped as the engine sends them (gateway/test/kinds/fixtures.ts names the sources); media
 * bytes are served by the simulator. Screenshots at 1440×900 and 390×844 go to e2e/screenshots.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { control, eventually, replay, startEngineEnv, type EngineEnv } from '../../gateway/test/support/engine-env.js';
import { makeUser, PASSWORD } from '../../gateway/test/support/factories.js';
import { wahaDelivery, wahaMsg } from '../../gateway/test/kinds/signed-deliveries.js';
import { PROTO, VCARD } from '../../gateway/test/kinds/fixtures.js';
import { DIST, ensureBuilt, launch, shot, watchConsole } from './support.js';

let env: EngineEnv;
let browser: Browser;
const consoleProblems: string[] = [];
const GROUP = '120363000000000777@g.us';
const ANN = '4915220000001@c.us';
const BEN = '4915220000002@c.us';
// A real picture (playwright's own icon), served as the photo and the sticker.
const PNG = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('playwright-core/package.json')), 'lib/server/chromium/appIcon.png')).toString('base64');

let chatId = 0;

beforeAll(async () => {
  ensureBuilt();
  env = await startEngineEnv({ WEB_DIST_DIR: DIST });
  const alice = await makeUser(env.t.db, env.org.id, 'editor', { email: 'kinds@e2e.test', name: 'Kim Kinds' });
  const token = await env.login(alice.email);
  const dev = (await env.http.post('/api/devices', { token, body: { name: 'Kinds phone', engine: 'waha' } })).body as { id: string; engineSession: string };
  await eventually(async () => (await env.http.get(`/api/devices/${dev.id}/qr`, { token })).body.qr, 15_000, 'qr');
  await control(env.sim).post(`/sessions/${dev.engineSession}/scan`, { body: { phone: '4930720000001' } });
  await eventually(async () => (await env.http.get(`/api/devices/${dev.id}`, { token })).body.status === 'connected', 15_000, 'connected');
  await env.sim.webhooksIdle(5_000);
  const secret = (await env.t.db('devices').where({ id: dev.id }).first()).webhook_secret as string;

  // Media bytes the simulator serves (it stores what a contact sends): their URLs, by mimetype.
  const urls: Record<string, string> = {};
  for (const [mimetype, filename] of [['image/png', 'photo.png'], ['audio/ogg; codecs=opus', 'voice.ogg'], ['video/mp4', 'clip.mp4'], ['image/webp', 'sticker.webp'], ['application/pdf', 'Offer 2026.pdf']]) {
    env.relay.deliveries = [];
    await control(env.sim).post(`/sessions/${dev.engineSession}/inbound`, { body: { from: '4915229999999', body: '', media: { mimetype, filename, data: PNG } } });
    await env.sim.webhooksIdle(5_000);
    const d = env.relay.deliveries.map((x) => JSON.parse(x.body.toString())).find((x) => x.payload?.media?.url);
    urls[mimetype] = d.payload.media.url;
  }

  const t0 = Math.floor(Date.now() / 1000) - 3600;
  let n = 0;
  const at = () => t0 + 60 * n++;
  const msg = (id: string, from: string, message: object, body: string | null, extra: object = {}) =>
    wahaDelivery(dev.id, secret, 'message', { ...wahaMsg({ id, from: GROUP, participant: from, body, message, timestamp: at(), extra }), _data: { key: { remoteJid: GROUP, fromMe: false, id, participant: from }, pushName: from === ANN ? 'Ann' : 'Ben', message } });
  const media = (id: string, from: string, key: string, mimetype: string, filename: string | null, extraProto: object = {}) =>
    wahaDelivery(dev.id, secret, 'message', {
      ...wahaMsg({ id, from: GROUP, participant: from, body: null, timestamp: at() }),
      hasMedia: true,
      media: { url: urls[mimetype], mimetype, filename, error: null },
      _data: { key: { remoteJid: GROUP, fromMe: false, id, participant: from }, pushName: from === ANN ? 'Ann' : 'Ben', message: { [key]: { mimetype, ...extraProto } } },
    });
  const ev = (event: string, payload: object) => wahaDelivery(dev.id, secret, event, payload);
  const deliveries = [
    ev('group.v2.join', { timestamp: at(), group: { id: GROUP, subject: 'Launch team', participants: [] }, _data: {} }),
    ev('group.v2.participants', { type: 'join', timestamp: at(), group: { id: GROUP }, participants: [{ id: ANN, role: 'participant' }, { id: BEN, role: 'participant' }], _data: {} }),
    msg('K1', ANN, PROTO.text, 'Morning all! Plan for today below.'),
    msg('K2', BEN, PROTO.link, 'see https://example.org/a'),
    msg('K3', ANN, PROTO.location, null),
    msg('K4', BEN, PROTO.contact, null, { vCards: [VCARD] }),
    msg('K5', ANN, PROTO.poll, null),
    msg('K6', BEN, PROTO.template, 'Your order has shipped.'),
    msg('K7', ANN, { extendedTextMessage: { text: 'Pizza, obviously', contextInfo: { stanzaId: 'K5', participant: ANN } } }, 'Pizza, obviously', { replyTo: { id: `false_${GROUP}_K5_${ANN}`, participant: ANN, body: 'Lunch?' } }),
    media('K8', BEN, 'imageMessage', 'image/png', 'photo.png'),
    media('K9', ANN, 'audioMessage', 'audio/ogg; codecs=opus', null, { ptt: true }),
    media('K10', BEN, 'videoMessage', 'video/mp4', 'clip.mp4'),
    media('K11', ANN, 'stickerMessage', 'image/webp', null),
    media('K12', BEN, 'documentMessage', 'application/pdf', 'Offer 2026.pdf'),
    msg('K13', ANN, PROTO.text, 'This one gets edited'),
    msg('K14', BEN, PROTO.text, 'This one gets deleted'),
    ev('call.received', { id: 'CALLK', from: GROUP, timestamp: at(), isVideo: false, isGroup: true, _data: {} }),
    // An answered call: its offer and its acceptance make one "Video call" line.
    ev('call.received', { id: 'CALLK2', from: GROUP, timestamp: at(), isVideo: true, isGroup: true, _data: {} }),
    ev('call.accepted', { id: 'CALLK2', from: GROUP, timestamp: at(), isVideo: true, isGroup: true, _data: {} }),
    ev('group.v2.update', { timestamp: at(), group: { id: GROUP, subject: 'Launch team 🚀' }, _data: {} }),
    ev('group.v2.update', { timestamp: at(), group: { id: GROUP, picture: 'https://pps.whatsapp.net/x' }, _data: {} }),
    ev('group.v2.participants', { type: 'leave', timestamp: at(), group: { id: GROUP }, participants: [{ id: BEN, role: 'left' }], _data: {} }),
  ];
  // Pending placeholder: NOWEB stub CIPHERTEXT, no message.
  const stub = wahaMsg({ id: 'K15', from: GROUP, participant: ANN, body: null, timestamp: at() });
  (stub._data as Record<string, unknown>).messageStubType = 2;
  delete (stub._data as Record<string, unknown>).message;
  deliveries.push(wahaDelivery(dev.id, secret, 'message', stub));
  for (const d of deliveries) expect((await replay(env.t.url, d)).status).toBe(200);
  // Then what changes messages: votes, an edit, a revoke, a reaction.
  const now = Date.now();
  const vote = (voter: string, options: string[]) =>
    ev('poll.vote', { vote: { id: `false_${GROUP}_V_${voter}`, selectedOptions: options, timestamp: now, to: GROUP, from: GROUP, fromMe: false, participant: voter }, poll: { id: `false_${GROUP}_K5_${ANN}`, to: GROUP, from: GROUP, fromMe: false } });
  for (const d of [
    vote(ANN, ['Pizza']),
    vote(BEN, ['Pizza']),
    vote('4915220000003@c.us', ['Sushi']),
    ev('message.edited', { ...wahaMsg({ id: 'KE', from: GROUP, participant: ANN, body: 'This one was edited' }), editedMessageId: 'K13' }),
    ev('message.revoked', { revokedMessageId: 'K14', after: { id: `false_${GROUP}_K14`, timestamp: Math.floor(now / 1000) }, before: null }),
    ev('message.reaction', { id: `false_${GROUP}_R1`, from: GROUP, participant: BEN, fromMe: false, timestamp: Math.floor(now / 1000), reaction: { text: '👍', messageId: `false_${GROUP}_K1_${ANN}` } }),
  ]) expect((await replay(env.t.url, d)).status).toBe(200);
  chatId = Number((await env.t.db('chats').where({ device_id: dev.id, jid: GROUP }).first('id')).id);
  // Media fetched from the engine before the browser asks for it.
  await eventually(async () => (await env.t.db('messages').where({ chat_id: chatId }).whereNotNull('media').whereRaw(`media->>'mediaId' IS NOT NULL`).count<{ c: number }[]>('* as c'))[0]!.c >= 5, 20_000, 'media stored');
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

async function open(width: number, height: number): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  watchConsole(page, consoleProblems);
  await page.goto(env.t.url + '/');
  await page.getByLabel('Email').fill('kinds@e2e.test');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/chats/);
  await page.goto(`${env.t.url}/chats/${chatId}`);
  await page.getByTestId('message').first().waitFor({ timeout: 20_000 });
  return page;
}

/** The conversation is virtualized: walk it from top to bottom, calling `see` at each step. */
async function walk(page: Page, see: () => Promise<void>) {
  const box = page.locator('.messages');
  await box.evaluate((el) => (el.scrollTop = 0));
  await page.waitForTimeout(150);
  for (let i = 0; i < 60; i++) {
    await see();
    const done = await box.evaluate((el) => {
      const before = el.scrollTop;
      el.scrollTop += el.clientHeight * 0.6;
      return el.scrollTop === before;
    });
    await page.waitForTimeout(120);
    if (done) break;
  }
  await see();
}

/** Scrolls until the element is rendered, then into view. */
async function reveal(page: Page, testId: string, text?: string) {
  const loc = text ? page.getByTestId(testId).filter({ hasText: text }) : page.getByTestId(testId);
  if (!(await loc.count())) await walk(page, async () => {
    if (await loc.count()) throw Object.assign(new Error('found'), { found: true });
  }).catch((e) => { if (!e.found) throw e; });
  await loc.first().scrollIntoViewIfNeeded();
  return loc.first();
}

describe('every message kind in Chromium', () => {
  it('when a conversation holds every kind, then each renders as its own kind (desktop 1440×900)', async () => {
    const page = await open(1440, 900);
    const lines = new Set<string>();
    const kinds = new Set<string>();
    await walk(page, async () => {
      for (const t of await page.getByTestId('system-line').allTextContents()) lines.add(t);
      for (const k of await page.locator('[data-testid^="kind-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!))) kinds.add(k);
    });
    await reveal(page, 'message', 'Morning all');
    await shot(page, 'kinds-1440-top');
    await reveal(page, 'kind-pending');
    await shot(page, 'kinds-1440-bottom');
    expect([...kinds].sort()).toEqual(['kind-contact', 'kind-link', 'kind-location', 'kind-pending', 'kind-poll', 'kind-sticker', 'kind-template', 'kind-video', 'kind-voice']);
    expect([...lines]).toEqual(
      expect.arrayContaining([expect.stringMatching(/joined/), expect.stringMatching(/Missed voice call/), expect.stringMatching(/^Video call \(group\)/), expect.stringMatching(/The group name is now “Launch team 🚀”/), expect.stringMatching(/The group picture changed/), expect.stringMatching(/left/)]),
    );
    const loc = await reveal(page, 'kind-location');
    expect(await loc.textContent()).toContain('Brandenburger Tor');
    expect(await loc.getByRole('link', { name: 'Open map' }).getAttribute('href')).toContain('52.52');
    const card = await reveal(page, 'kind-contact');
    expect(await card.textContent()).toContain('+49 170 1234567');
    await card.getByRole('button', { name: 'Add to contacts' }).click();
    await card.getByRole('button', { name: 'Added to contacts' }).waitFor();
    expect((await env.t.db('contacts').where({ phone_e164: '+491701234567' }).first('name'))?.name).toBe('Jane Doe');
    expect(await (await reveal(page, 'kind-poll')).textContent()).toMatch(/Lunch\?.*Pizza.*2.*Sushi.*1.*3 votes/s);
    expect(await (await reveal(page, 'kind-template')).textContent()).toMatch(/Order #42.*Your order has shipped\..*ACME Shop.*Thanks.*Track/s);
    expect(await (await reveal(page, 'kind-link')).textContent()).toContain('Example A');
    expect(await (await reveal(page, 'message', 'This one was edited')).textContent()).toContain('edited');
    await reveal(page, 'message', 'This message was deleted');
    expect(await (await reveal(page, 'message', 'Morning all')).textContent()).toContain('👍');
    expect(await (await reveal(page, 'message', 'Pizza, obviously')).locator('.quote').textContent()).toContain('Lunch?');
    expect(await (await reveal(page, 'kind-pending')).textContent()).toContain('Waiting for this message');
    await page.context().close();
  });

  it('when the window is phone-sized (390×844), then every kind still fits the screen', async () => {
    const page = await open(390, 844);
    for (const id of ['kind-location', 'kind-contact', 'kind-poll', 'kind-template', 'kind-video']) {
      const box = await (await reveal(page, id)).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x + box!.width, id).toBeLessThanOrEqual(390);
    }
    await reveal(page, 'message', 'Morning all');
    await shot(page, 'kinds-390-top');
    await reveal(page, 'kind-poll');
    await shot(page, 'kinds-390-poll');
    await reveal(page, 'kind-pending');
    await shot(page, 'kinds-390-bottom');
    await page.context().close();
  });

  it('when the session went normally, then the browser logged no errors or warnings', () => {
    expect(consoleProblems).toEqual([]);
  });
});
