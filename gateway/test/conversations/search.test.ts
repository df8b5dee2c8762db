import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeChat, makeDevice, makeMessage, makeWorld, type World } from './world.js';

let t: TestApp;
let w: World;
let chat: { id: number; jid: string };
beforeAll(async () => {
  t = await startTestApp();
  w = await makeWorld(t.db, t.url);
  chat = await makeChat(t.db, w.device, '4915200000001@s.whatsapp.net', 'Café regulars');
  const at = (m: number) => new Date(Date.UTC(2026, 2, 1, 10, m));
  await makeMessage(t.db, w.device, chat, { body: 'Reunião no Café amanhã?', at: at(1) });
  await makeMessage(t.db, w.device, chat, { body: 'a cafe latte please', at: at(2) });
  await makeMessage(t.db, w.device, chat, { body: 'invoice sent once', at: at(3) });
  await makeMessage(t.db, w.device, chat, { body: 'invoice, invoice and the invoice again', at: at(4) });
  await makeMessage(t.db, w.device, chat, { body: 'the invoice is paid', at: at(5) });
  await makeMessage(t.db, w.device, chat, { body: 'secret invoice that was unsent', at: at(6), revoked: true });
  // Same words on a number the owner does not work.
  const colleagues = await makeDevice(t.db, w.org.id, w.users.colleague.id);
  const other = await makeChat(t.db, colleagues, '4915200000002@s.whatsapp.net', 'Not yours');
  await makeMessage(t.db, colleagues, other, { body: 'invoice café elsewhere', at: at(7) });
});
afterAll(() => t.close());

const search = async (q: string, token = w.tokens.owner, extra = '') => {
  const r = await w.http.get(`/api/search?q=${encodeURIComponent(q)}${extra}`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { items: { message: { id: number; body: string }; chat: { id: number; name: string; jid: string }; rank: number; snippet: string }[]; nextCursor: string | null };
};

describe('full-text search', () => {
  it('when searching without the accent, with it, or in capitals, then both spellings are found and the original is highlighted', async () => {
    for (const q of ['cafe', 'café', 'CAFÉ', 'Cafe']) {
      const bodies = (await search(q)).items.map((h) => h.message.body).sort();
      expect(bodies, q).toEqual(['Reunião no Café amanhã?', 'a cafe latte please']);
    }
    const hit = (await search('cafe')).items.find((h) => h.message.body.startsWith('Reunião'))!;
    expect(hit.snippet).toContain('«Café»');
    expect(hit.chat).toEqual({ id: chat.id, name: 'Café regulars', jid: chat.jid });
    expect((await search('reuniao')).items).toHaveLength(1);
  });

  it('when a word appears more often in one message, then that message ranks first', async () => {
    const items = (await search('invoice')).items;
    expect(items[0]!.message.body).toBe('invoice, invoice and the invoice again');
    expect(items.map((h) => h.rank)).toEqual([...items.map((h) => h.rank)].sort((a, b) => b - a));
    expect(items).toHaveLength(3); // the revoked message and the colleague's are not there
  });

  it('when using web-search syntax, then phrases and exclusions work', async () => {
    expect((await search('invoice -paid')).items.map((h) => h.message.body).sort()).toEqual(['invoice sent once', 'invoice, invoice and the invoice again']);
    expect((await search('"invoice is paid"')).items.map((h) => h.message.body)).toEqual(['the invoice is paid']);
    expect((await search('invoice OR latte')).items).toHaveLength(4);
  });

  it('when a message is deleted, then search no longer finds it', async () => {
    const m = await makeMessage(t.db, w.device, chat, { body: 'ephemeral zebra note', at: new Date() });
    expect((await search('zebra')).items).toHaveLength(1);
    expect((await w.http.del(`/api/messages/${m.id}`, { token: w.tokens.agent })).status).toBe(204);
    expect((await search('zebra')).items).toHaveLength(0);
  });

  it('when others search, then each finds only what they may see', async () => {
    expect((await search('invoice', w.tokens.colleague)).items.map((h) => h.message.body)).toEqual(['invoice café elsewhere']);
    expect((await search('invoice', w.tokens.admin)).items).toEqual([]);
    expect((await search('invoice', w.tokens.outsider)).items).toEqual([]);
    expect((await search('invoice', w.tokens.grantee)).items).toEqual([]);
  });

  it('when many hits rank the same, then pages return each once', async () => {
    const c = await makeChat(t.db, w.device, '4915200000003@s.whatsapp.net', 'Many');
    for (let i = 0; i < 11; i++) await makeMessage(t.db, w.device, c, { body: `walrus ${i}`, at: '2026-03-02T10:00:00Z' });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await search('walrus', w.tokens.owner, `&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((h) => h.message.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    expect((await search('walrus', w.tokens.owner, `&chatId=${chat.id}`)).items).toEqual([]);
  });

  it('when the query is empty or only punctuation, then the answer is 400', async () => {
    for (const q of ['', '   ', '!!!', '-']) {
      const r = await w.http.get(`/api/search?q=${encodeURIComponent(q)}`, { token: w.tokens.owner });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect((await w.http.get('/api/search', { token: w.tokens.owner })).status).toBe(400);
  });
});
