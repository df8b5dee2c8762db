import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeChat, makeDevice, makeMessage, makeWorld, type World } from './world.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** Walks every page of a list, failing on a page that repeats a row. */
async function allPages(w: World, path: string, token: string, cursorParam = 'cursor') {
  const ids: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r: { status: number; body: any } = await w.http.get(`${path}${cursor ? `${sep}${cursorParam}=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    ids.push(...r.body.items.map((x: { id?: number; message?: { id: number } }) => x.id ?? x.message!.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('too many pages');
}

describe('pagination', () => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(t.db, t.url);
  });

  it('when chats share the same last activity, down to the microsecond, then pages of 4 return each chat once in order', async () => {
    const chats: { id: number; at: string | null }[] = [];
    for (let i = 0; i < 22; i++) {
      const c = await makeChat(t.db, w.device, `49160000${String(i).padStart(4, '0')}@s.whatsapp.net`, `Chat ${i}`);
      // Groups of five with one identical timestamp (microseconds included), and three with no message
      // (started by number, never written in): those are not listed until they have one.
      const at = i < 19 ? `2026-03-0${1 + Math.floor(i / 5)} 10:00:00.123456+00` : null;
      if (at) await t.db('chats').where({ id: c.id }).update({ last_message_at: t.db.raw('?::timestamptz', [at]) });
      chats.push({ id: c.id, at });
    }
    const expected = chats.filter((c) => c.at).sort((a, b) => b.at!.localeCompare(a.at!) || b.id - a.id).map((c) => c.id);
    expect(await allPages(w, '/api/chats?limit=4', w.tokens.owner)).toEqual(expected);
  });

  it('when messages share one timestamp, then the conversation pages newest first with `before` and no gap or repeat', async () => {
    const chat = await makeChat(t.db, w.device, '4916100000001@s.whatsapp.net', 'Busy');
    const ids: number[] = [];
    for (let i = 0; i < 23; i++) ids.push((await makeMessage(t.db, w.device, chat, { body: `m${i}`, at: '2026-03-10T10:00:00Z' })).id);
    await t.db.raw(`UPDATE messages SET sent_at = '2026-03-10 10:00:00.000001+00' WHERE id = ANY(?)`, [ids.slice(0, 10)]);
    // The ten moved one microsecond later come first.
    const expected = [...ids.slice(0, 10).sort((a, b) => b - a), ...ids.slice(10).sort((a, b) => b - a)];
    expect(await allPages(w, `/api/chats/${chat.id}/messages?limit=7`, w.tokens.owner, 'before')).toEqual(expected);
    // The logs page the same messages the same way.
    expect(await allPages(w, `/api/messages?chatId=${chat.id}&limit=5`, w.tokens.viewer)).toEqual(expected);
  });

  it('when a message has reactions, then the conversation, the logs and the message show the current ones', async () => {
    const chat = await makeChat(t.db, w.device, '4916100000009@s.whatsapp.net', 'Reacting');
    const m = await makeMessage(t.db, w.device, chat, { body: 'nice', at: '2026-03-11T10:00:00Z' });
    await t.db('message_reactions').insert([
      { device_id: w.device.id, engine_message_id: m.engine_message_id, sender_jid: chat.jid, emoji: '👍', reacted_at: new Date('2026-03-11T10:01:00Z') },
      { device_id: w.device.id, engine_message_id: m.engine_message_id, sender_jid: '4930100000@s.whatsapp.net', emoji: null, reacted_at: new Date('2026-03-11T10:02:00Z') },
    ]);
    const want = [{ emoji: '👍', from: chat.jid, at: '2026-03-11T10:01:00.000Z' }];
    expect((await w.http.get(`/api/chats/${chat.id}/messages`, { token: w.tokens.viewer })).body.items[0].reactions).toEqual(want);
    expect((await w.http.get(`/api/messages/${m.id}`, { token: w.tokens.viewer })).body.reactions).toEqual(want);
    expect((await w.http.get(`/api/messages?chatId=${chat.id}`, { token: w.tokens.viewer })).body.items[0].reactions).toEqual(want);
  });

  it('when a cursor is tampered with, then the answer is 400, not a server error', async () => {
    const bad = Buffer.from(JSON.stringify(["'; drop table chats; --", 1])).toString('base64url');
    for (const path of [`/api/chats?cursor=${bad}`, `/api/messages?cursor=${bad}`, `/api/chats/1/messages?before=${bad}`, `/api/search?q=x&cursor=${bad}`]) {
      const r = await w.http.get(path, { token: w.tokens.owner });
      expect([400, 404], path).toContain(r.status);
      expect(r.body.error.code).toBeTruthy();
    }
  });
});

describe('chat list filters, CRM names and pins', () => {
  let w: World;
  let second: { id: string; org_id: string };
  const ids = {} as Record<string, number>;
  beforeAll(async () => {
    w = await makeWorld(t.db, t.url);
    second = await makeDevice(t.db, w.org.id, w.users.owner.id, 'Second line');
    const a = await makeChat(t.db, w.device, '4917000000001@s.whatsapp.net', 'Anna Schmidt');
    const b = await makeChat(t.db, w.device, '4917000000002@s.whatsapp.net', null);
    const g = await makeChat(t.db, w.device, '120363000000001@g.us', 'Team group');
    const s = await makeChat(t.db, second, '4917000000003@s.whatsapp.net', 'Second chat');
    Object.assign(ids, { a: a.id, b: b.id, g: g.id, s: s.id });
    await makeMessage(t.db, w.device, a, { at: '2026-03-01T10:00:00Z' });
    await makeMessage(t.db, w.device, b, { at: '2026-03-01T11:00:00Z', direction: 'out' });
    await makeMessage(t.db, w.device, g, { at: '2026-03-01T12:00:00Z' });
    await makeMessage(t.db, second, s, { at: '2026-03-01T13:00:00Z' });
    // b's number is a CRM contact with a tag; the owner pins that contact, and the group as a chat.
    const [contact] = await t.db('contacts').insert({ org_id: w.org.id, name: 'Bruno Barros (CRM)', phone_e164: '+4917000000002' }).returning('*');
    const [tag] = await t.db('tags').insert({ org_id: w.org.id, name: 'VIP', color: '#ff0000' }).returning('*');
    await t.db('contact_tags').insert({ contact_id: contact.id, tag_id: tag.id });
    await t.db('favorites').insert([
      { user_id: w.users.owner.id, org_id: w.org.id, target_type: 'contact', target_id: contact.id, position: 0 },
      { user_id: w.users.owner.id, org_id: w.org.id, target_type: 'chat', target_id: String(g.id), position: 1 },
    ]);
  });
  const list = async (query: string, who: 'owner' | 'agent' = 'owner') => {
    const r = await w.http.get(`/api/chats${query}`, { token: w.tokens[who] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.items as { id: number; favorite: boolean; crm: { name: string; tags: { name: string }[] } | null; unreadCount: number }[];
  };

  it('when no filter is given, then chats of every visible number come by last activity with CRM name and tags', async () => {
    const items = await list('');
    expect(items.map((c) => c.id)).toEqual([ids.s, ids.g, ids.b, ids.a]);
    const b = items.find((c) => c.id === ids.b)!;
    expect(b.crm).toMatchObject({ name: 'Bruno Barros (CRM)', tags: [{ name: 'VIP' }] });
    expect(items.find((c) => c.id === ids.a)!.crm).toBeNull();
  });

  it('when filtering by device, unread, pins or text, then only matching chats remain', async () => {
    expect((await list(`?deviceId=${second.id}`)).map((c) => c.id)).toEqual([ids.s]);
    expect((await list('?unread=true')).map((c) => c.id)).toEqual([ids.s, ids.g, ids.a]); // b's last message is ours
    expect((await list('?favorite=true')).map((c) => c.id)).toEqual([ids.g, ids.b]);
    expect((await list('?favorite=true', 'agent')).map((c) => c.id)).toEqual([]); // pins are personal
    expect((await list('?q=anna')).map((c) => c.id)).toEqual([ids.a]);
    expect((await list('?q=%2B49%201700%20000%200002')).map((c) => c.id)).toEqual([ids.b]); // "+49 1700 000 0002"
    expect((await list('?q=barros')).map((c) => c.id)).toEqual([ids.b]); // the CRM name
    expect((await list('?q=100%25')).map((c) => c.id)).toEqual([]); // LIKE wildcards are literal
    expect((await list('?unread=true&deviceId=' + w.device.id)).map((c) => c.id)).toEqual([ids.g, ids.a]);
  });

  it('when a chat comes from the list, then it says whether the caller pinned it', async () => {
    const items = await list('');
    expect(Object.fromEntries(items.map((c) => [c.id, c.favorite]))).toEqual({ [ids.s!]: false, [ids.g!]: true, [ids.b!]: true, [ids.a!]: false });
  });
});

describe('message logs and stats', () => {
  let w: World;
  const cust = '4918000000001@s.whatsapp.net';
  beforeAll(async () => {
    w = await makeWorld(t.db, t.url);
    const second = await makeDevice(t.db, w.org.id, w.users.owner.id, 'Second line');
    const c1 = await makeChat(t.db, w.device, cust, 'Customer one');
    const c2 = await makeChat(t.db, w.device, '4918000000002@s.whatsapp.net', 'Customer two');
    const c3 = await makeChat(t.db, second, '4918000000003@s.whatsapp.net', 'Customer three');
    const grp = await makeChat(t.db, w.device, '120363000000002@g.us', 'Busy group');
    // Day 1: c1 in ×3, out ×2 (delivered, read); day 2: c2 in ×1, out failed ×1; c3 in ×1; group in ×6.
    for (let i = 0; i < 3; i++) await makeMessage(t.db, w.device, c1, { at: `2026-04-01T0${i}:00:00Z` });
    await makeMessage(t.db, w.device, c1, { direction: 'out', ack: 2, at: '2026-04-01T05:00:00Z' });
    await makeMessage(t.db, w.device, c1, { direction: 'out', ack: 3, at: '2026-04-01T06:00:00Z' });
    await makeMessage(t.db, w.device, c2, { at: '2026-04-02T01:00:00Z' });
    await makeMessage(t.db, w.device, c2, { direction: 'out', ack: -1, at: '2026-04-02T02:00:00Z' });
    await makeMessage(t.db, second, c3, { at: '2026-04-02T03:00:00Z' });
    for (let i = 0; i < 6; i++) await makeMessage(t.db, w.device, grp, { at: `2026-04-02T1${i}:00:00Z`, sender: `49180000009${i}@s.whatsapp.net` });
    // Outside the range asked for below.
    await makeMessage(t.db, w.device, c1, { at: '2026-05-01T00:00:00Z' });
  });
  const logs = async (q: string) => {
    const r = await w.http.get(`/api/messages?limit=200&${q}`, { token: w.tokens.owner });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.items as { direction: string; status: string; chat: { jid: string; name: string }; deviceId: string; sentAt: string }[];
  };

  it('when filtering logs by direction, status, sender, recipient, device and time, then each filter holds', async () => {
    expect(await logs('')).toHaveLength(15);
    expect((await logs('direction=out')).every((m) => m.direction === 'out')).toBe(true);
    expect(await logs('direction=out')).toHaveLength(3);
    expect((await logs('status=failed')).map((m) => m.chat.name)).toEqual(['Customer two']);
    expect(await logs('status=read')).toHaveLength(1);
    expect(await logs(`from=${encodeURIComponent('+49 180 0000 0001')}`)).toHaveLength(4); // incoming from customer one
    expect(await logs(`to=${cust}`)).toHaveLength(2); // our messages to customer one
    expect(await logs('to=4930100000')).toHaveLength(12); // incoming, to our number
    expect(await logs('since=2026-04-02T00:00:00Z&until=2026-04-03T00:00:00Z')).toHaveLength(9);
    const second = (await logs('')).find((m) => m.chat.name === 'Customer three')!.deviceId;
    expect((await logs(`deviceId=${second}`)).map((m) => m.chat.name)).toEqual(['Customer three']);
    expect((await w.http.get('/api/messages?from=ab', { token: w.tokens.owner })).status).toBe(400);
    expect((await w.http.get('/api/messages?since=2026-05-01T00:00:00Z&until=2026-04-01T00:00:00Z', { token: w.tokens.owner })).status).toBe(400);
  });

  it('when asking for stats over a range, then the counts per day, direction, status, device and top contacts are exact', async () => {
    const r = await w.http.get('/api/messages/stats?since=2026-04-01T00:00:00Z&until=2026-04-03T00:00:00Z', { token: w.tokens.agent });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = r.body;
    expect(s.total).toBe(13); // the agent works only the first number: c3 is not theirs
    expect(s.perDay).toEqual([
      { day: '2026-04-01', count: 5 },
      { day: '2026-04-02', count: 8 },
    ]);
    expect(s.perDirection).toEqual([
      { direction: 'in', count: 10 },
      { direction: 'out', count: 3 },
    ]);
    expect(Object.fromEntries(s.perStatus.map((x: { status: string; count: number }) => [x.status, x.count]))).toEqual({ received: 10, delivered: 1, read: 1, failed: 1 });
    expect(s.perDevice).toEqual([{ deviceId: w.device.id, name: 'Sales line', count: 13 }]);
    // Groups are not contacts: the busy group is left out of the top contacts.
    expect(s.topContacts.map((c: { name: string; count: number }) => [c.name, c.count])).toEqual([
      ['Customer one', 5],
      ['Customer two', 2],
    ]);
    const owner = (await w.http.get('/api/messages/stats?since=2026-04-01T00:00:00Z&until=2026-04-03T00:00:00Z', { token: w.tokens.owner })).body;
    expect(owner.total).toBe(14);
    expect(owner.perDevice.map((d: { count: number }) => d.count)).toEqual([13, 1]);
  });
});
