/**
 * Browser notifications in real Chromium against the real gateway, simulator and PostgreSQL: two tabs
 * of one person; a new message while every tab is hidden shows ONE notification (with the chat's name
 * and the text) and one sound across both tabs; none while a tab is visible; none for a chat the person
 * may not see; none once switched off in the UI (the other tab's switch follows); a tab showing
 * another page counts as visible or hidden like one showing the chats; a tab left alone notifies; the
 * browser's permission is asked once. Notifications and the permission prompt are recorded by an init script
 * that wraps window.Notification (recording, then calling the real one); tabs are made hidden by
 * overriding document.visibilityState and dispatching visibilitychange.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { control, startEngineEnv, type EngineEnv } from '../../gateway/test/support/engine-env.js';
import { makeUser, PASSWORD } from '../../gateway/test/support/factories.js';
import { connectedDevice, inboundChat, type Device } from '../../gateway/test/outbox/outbox-env.js';
import { DIST, ensureBuilt, launch, SHOTS, watchConsole } from './support.js';

const DIR = path.join(SHOTS, 'notifications');
let env: EngineEnv;
let browser: Browser;
let ctx: BrowserContext;
let tabs: Page[] = [];
let mine: Device; // the owner's device: its chats are theirs to see
let theirs: Device; // another person's device in the same org: not the owner's to see
const NORA = '+4915170000001';
const problems: string[] = [];

/** Runs before the app in every tab: records Notification constructions, permission requests and beeps; lets the test hide the tab. */
function recorder() {
  const w = window as unknown as Record<string, unknown>;
  const Real = window.Notification;
  const shown: { title: string; body?: string; tag?: string }[] = [];
  w.__shown = shown;
  // As in a fresh profile, the permission is "default" until the app asks (the context has granted it, so asking grants it).
  const asked = () => localStorage.getItem('__test_permission_asked') === 'yes';
  class Recorded extends Real {
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, body: options?.body, tag: options?.tag });
      super(title, options);
    }
    static override get permission() {
      return asked() ? Real.permission : 'default';
    }
    static override requestPermission(cb?: NotificationPermissionCallback) {
      localStorage.setItem('__test_permission_requests', String(Number(localStorage.getItem('__test_permission_requests') ?? 0) + 1));
      localStorage.setItem('__test_permission_asked', 'yes');
      return Real.requestPermission(cb);
    }
  }
  window.Notification = Recorded as typeof Notification;
  const beeps: number[] = [];
  w.__beeps = beeps;
  const RealAudio = window.AudioContext;
  if (RealAudio)
    window.AudioContext = class extends RealAudio {
      constructor(o?: AudioContextOptions) {
        beeps.push(Date.now());
        super(o);
      }
    } as typeof AudioContext;
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  w.__setHidden = (h: boolean) => {
    hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

const shownIn = (p: Page) => p.evaluate(() => (window as unknown as { __shown: { title: string; body?: string }[] }).__shown.slice());
const beepsIn = (p: Page) => p.evaluate(() => (window as unknown as { __beeps: number[] }).__beeps.length);
const allShown = async () => (await Promise.all(tabs.map(shownIn))).flat();
const permissionRequests = () => tabs[0]!.evaluate(() => Number(localStorage.getItem('__test_permission_requests') ?? 0));
const setHidden = async (p: Page, hidden: boolean) => p.evaluate((h) => (window as unknown as { __setHidden(h: boolean): void }).__setHidden(h), hidden);
const shot = (p: Page, name: string) => p.screenshot({ path: path.join(DIR, `${name}.png`) });

/** A contact writes to a device; resolves once a tab's chat list shows the text (the socket delivered it). */
async function deliver(d: Device, from: string, text: string, seenIn: Page | null = tabs[0]!) {
  await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from, body: text, pushName: 'Someone' } });
  if (seenIn) await seenIn.getByTestId('chat-row').filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(DIR, { recursive: true });
  console.log(`notification screenshots: ${DIR}`);
  env = await startEngineEnv({ WEB_DIST_DIR: DIST, PHONE_DEFAULT_REGION: 'DE' });
  mine = await connectedDevice(env, 'waha');
  const nora = await inboundChat(env, mine, NORA, 'first hello from Nora', { pushName: 'Nora' });
  await env.t.db('chats').where({ id: nora.chatId }).update({ name: 'Nora Notify' });
  const other = await makeUser(env.t.db, env.org.id, 'editor');
  theirs = await connectedDevice(env, 'waha', await env.login(other.email));
  browser = await launch();
  ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.grantPermissions(['notifications'], { origin: env.t.url });
  await ctx.addInitScript(recorder);
  const first = await ctx.newPage();
  watchConsole(first, problems);
  await first.goto(env.t.url + '/chats');
  await first.getByLabel('Email').fill(env.owner.email);
  await first.getByLabel('Password').fill(PASSWORD);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.getByTestId('chat-row').first().waitFor();
  // The second tab of the same person: signed in through the shared session.
  const second = await ctx.newPage();
  watchConsole(second, problems);
  await second.goto(env.t.url + '/chats');
  await second.getByTestId('chat-row').first().waitFor();
  tabs = [first, second];
}, 240_000);

afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  await env?.close();
});

describe('notifications for new messages, two tabs of one person', () => {
  it('when notifications are switched on, then the browser is asked for permission once, and the other tab shows them on too', async () => {
    const [a, b] = tabs as [Page, Page];
    const toggle = a.getByTestId('notify-toggle');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await permissionRequests()).toBe(1);
    await expect.poll(() => b.getByTestId('notify-toggle').getAttribute('aria-pressed')).toBe('true');
    // Off and on again: the browser already answered, it is not asked again.
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await permissionRequests()).toBe(1);
    await shot(a, 'notifications-on');
  });

  it('when every tab is hidden and a message arrives, then exactly one notification shows, across both tabs, with the chat name and the text, and one sound', async () => {
    for (const t of tabs) await setHidden(t, true);
    await tabs[0]!.waitForTimeout(300); // the tabs tell each other they are hidden
    await deliver(mine, NORA, 'Are you there? (all hidden)');
    await expect.poll(async () => (await allShown()).length, { timeout: 10_000 }).toBe(1);
    await tabs[0]!.waitForTimeout(1_000); // room for a second tab's duplicate to show up
    expect(await allShown()).toEqual([{ title: 'Nora Notify', body: 'Are you there? (all hidden)', tag: expect.any(String) }]);
    expect((await Promise.all(tabs.map(beepsIn))).reduce((x, y) => x + y, 0)).toBe(1);
  });

  it('when one tab is visible (the other hidden), then a new message shows no notification in either', async () => {
    const before = (await allShown()).length;
    for (const [i, visible] of [[0, false], [1, true]] as const) await setHidden(tabs[i]!, !visible);
    await tabs[0]!.waitForTimeout(300);
    await deliver(mine, NORA, 'Second note (one tab visible)');
    await tabs[1]!.getByTestId('chat-row').filter({ hasText: 'Second note (one tab visible)' }).first().waitFor();
    await tabs[0]!.waitForTimeout(1_000);
    expect((await allShown()).length).toBe(before);
    // And the other way round.
    for (const [i, visible] of [[0, true], [1, false]] as const) await setHidden(tabs[i]!, !visible);
    await tabs[0]!.waitForTimeout(300);
    await deliver(mine, NORA, 'Third note (the other tab visible)');
    await tabs[1]!.getByTestId('chat-row').filter({ hasText: 'Third note (the other tab visible)' }).first().waitFor();
    await tabs[0]!.waitForTimeout(1_000);
    expect((await allShown()).length).toBe(before);
  });

  it('when a message arrives in a chat of a device the person may not see, then no notification shows; one they may see still does', async () => {
    for (const t of tabs) await setHidden(t, true);
    await tabs[0]!.waitForTimeout(300);
    const before = (await allShown()).length;
    await deliver(theirs, '+4915170000099', 'For the other person only', null);
    // A fence: a message to the person's own chat comes after it and does notify.
    await deliver(mine, NORA, 'Fence after the other device');
    await expect.poll(async () => (await allShown()).length, { timeout: 10_000 }).toBe(before + 1);
    await tabs[0]!.waitForTimeout(1_000);
    const added = (await allShown()).slice(before);
    expect(added.map((n) => n.body)).toEqual(['Fence after the other device']);
  });

  it('when notifications are switched off in the UI, then a message while every tab is hidden shows none', async () => {
    await tabs[1]!.getByTestId('notify-toggle').click();
    await expect.poll(() => tabs[1]!.getByTestId('notify-toggle').getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => tabs[0]!.getByTestId('notify-toggle').getAttribute('aria-pressed')).toBe('false');
    for (const t of tabs) await setHidden(t, true);
    await tabs[0]!.waitForTimeout(300);
    const before = (await allShown()).length;
    await deliver(mine, NORA, 'Muted message');
    await tabs[0]!.waitForTimeout(1_500);
    expect((await allShown()).length).toBe(before);
    expect(await permissionRequests()).toBe(1);
    for (const t of tabs) await setHidden(t, false);
    await shot(tabs[0]!, 'notifications-off');
  });

  it('when a visible tab shows the contacts page, then a message notifies nobody; once it is hidden too, exactly one notification shows', async () => {
    await tabs[0]!.getByTestId('notify-toggle').click();
    await expect.poll(() => tabs[1]!.getByTestId('notify-toggle').getAttribute('aria-pressed')).toBe('true');
    await tabs[0]!.goto(env.t.url + '/contacts');
    await tabs[0]!.getByRole('heading', { name: 'Contacts' }).waitFor();
    await setHidden(tabs[1]!, true);
    await tabs[0]!.waitForTimeout(300);
    const before = (await allShown()).length;
    await deliver(mine, NORA, 'While contacts are on screen', tabs[1]!);
    await tabs[0]!.waitForTimeout(1_500);
    expect((await allShown()).length).toBe(before);
    await setHidden(tabs[0]!, true);
    await tabs[0]!.waitForTimeout(300);
    await deliver(mine, NORA, 'Both hidden, one on contacts', tabs[1]!);
    await expect.poll(async () => (await allShown()).length, { timeout: 10_000 }).toBe(before + 1);
    await tabs[0]!.waitForTimeout(1_000);
    expect((await allShown()).slice(before)).toEqual([{ title: 'Nora Notify', body: 'Both hidden, one on contacts', tag: expect.any(String) }]);
  });

  it('when a tab is closed, then the one left notifies on its own', async () => {
    await tabs[0]!.close();
    tabs = [tabs[1]!];
    await setHidden(tabs[0]!, true);
    const before = (await allShown()).length;
    await deliver(mine, NORA, 'After the other tab closed');
    await expect.poll(async () => (await allShown()).length, { timeout: 10_000 }).toBe(before + 1);
    expect((await allShown()).at(-1)).toMatchObject({ title: 'Nora Notify', body: 'After the other tab closed' });
  });

  it('then no tab logged a console error', () => {
    expect(problems).toEqual([]);
  });
});
