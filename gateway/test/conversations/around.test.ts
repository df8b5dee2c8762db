import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeChat, makeMessage, makeWorld, type World } from './world.js';

/** GET /api/chats/:id/messages?around=… and ?after=…: a page centred on a message, and paging towards the newest. */
let t: TestApp;
let w: World;
let chat: { id: number; jid: string };
const ids: number[] = []; // oldest first
beforeAll(async () => {
  t = await startTestApp();
  w = await makeWorld(t.db, t.url);
  chat = await makeChat(t.db, w.device, '4917100000001@s.whatsapp.net', 'Long talk');
  for (let i = 0; i < 60; i++) {
    // Pairs share one timestamp, so the id breaks ties.
    const at = new Date(Date.UTC(2026, 2, 1, 10, Math.floor(i / 2))).toISOString();
    ids.push((await makeMessage(t.db, w.device, chat, { body: `m${i}`, at })).id);
  }
});
afterAll(() => t.close());

const get = (path: string, who: keyof World['tokens'] = 'owner') => w.http.get(path, { token: w.tokens[who] });
const bodies = (r: { body: { items: { body: string }[] } }) => r.body.items.map((m) => m.body);

describe('a page around a message', () => {
  it('when a reader asks around a message, then it holds the message in the middle, newest first, with a cursor each way', async () => {
    const r = await get(`/api/chats/${chat.id}/messages?around=${ids[30]}&limit=10`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(bodies(r)).toEqual(['m34', 'm33', 'm32', 'm31', 'm30', 'm29', 'm28', 'm27', 'm26', 'm25']);
    expect(r.body.before).toBeTruthy();
    expect(r.body.after).toBeTruthy();
    expect(r.body.nextCursor).toBe(r.body.before);
  });

  it('when the reader pages newer with `after` and older with `before` from there, then every message comes once, in order, until both cursors are null', async () => {
    const first = await get(`/api/chats/${chat.id}/messages?around=${ids[30]}&limit=10`);
    const seen = bodies(first);
    let after: string | null = first.body.after;
    while (after) {
      const r = await get(`/api/chats/${chat.id}/messages?after=${encodeURIComponent(after)}&limit=7`);
      expect(r.status).toBe(200);
      seen.unshift(...bodies(r));
      after = r.body.after;
    }
    let before: string | null = first.body.before;
    while (before) {
      const r = await get(`/api/chats/${chat.id}/messages?before=${encodeURIComponent(before)}&limit=7`);
      seen.push(...bodies(r));
      before = r.body.before;
    }
    expect(seen).toEqual(ids.map((_, i) => `m${59 - i}`));
  });

  it('when the message is the newest, then `after` is null and the page ends with it', async () => {
    const r = await get(`/api/chats/${chat.id}/messages?around=${ids[59]}&limit=10`);
    expect(bodies(r)[0]).toBe('m59');
    expect(r.body.after).toBeNull();
    expect(r.body.before).toBeTruthy();
  });

  it('when the newest page is read, then `after` is null; a page read with `before` says newer ones exist', async () => {
    const newest = await get(`/api/chats/${chat.id}/messages?limit=5`);
    expect(newest.body.after).toBeNull();
    const older = await get(`/api/chats/${chat.id}/messages?limit=5&before=${encodeURIComponent(newest.body.before)}`);
    expect(bodies(older)).toEqual(['m54', 'm53', 'm52', 'm51', 'm50']);
    expect(older.body.after).toBeTruthy();
    const back = await get(`/api/chats/${chat.id}/messages?limit=5&after=${encodeURIComponent(older.body.after)}`);
    expect(bodies(back)).toEqual(['m59', 'm58', 'm57', 'm56', 'm55']);
    expect(back.body.after).toBeNull();
  });

  it('when a deleted message or one of another chat is asked for, then 404; a bad cursor or two directions, then 400', async () => {
    const other = await makeChat(t.db, w.device, '4917100000002@s.whatsapp.net', 'Other');
    const foreign = await makeMessage(t.db, w.device, other, { body: 'elsewhere', at: '2026-03-02T10:00:00Z' });
    expect((await get(`/api/chats/${chat.id}/messages?around=${foreign.id}`)).status).toBe(404);
    await t.db('messages').where({ id: ids[5] }).update({ deleted_at: t.db.fn.now() });
    const gone = await get(`/api/chats/${chat.id}/messages?around=${ids[5]}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('not_found');
    expect((await get(`/api/chats/${chat.id}/messages?after=nonsense`)).status).toBe(400);
    const both = await get(`/api/chats/${chat.id}/messages?around=${ids[3]}&after=x`);
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('validation_failed');
  });

  it('when people who may not see the chat ask around one of its messages, then 404 as for the chat; a viewer and the grantee may', async () => {
    await t.db('chat_shares').insert({ org_id: w.org.id, chat_id: chat.id, grantee_id: w.users.grantee.id, granted_by: w.users.owner.id });
    for (const who of ['colleague', 'admin', 'outsider'] as const) expect((await get(`/api/chats/${chat.id}/messages?around=${ids[30]}`, who)).status).toBe(404);
    for (const who of ['viewer', 'grantee', 'agent'] as const) expect(bodies(await get(`/api/chats/${chat.id}/messages?around=${ids[30]}&limit=2`, who))).toEqual(['m30', 'm29']);
  });
});
