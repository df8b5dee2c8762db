// Source of each route: its path in WAHA's OpenAPI document 2026.7.1 (shared/contracts/waha-openapi-2026.7.1.json),
// the same path as the route string below; answers are checked against it in test/waha-contract.test.ts.
// Reading: chats, overview, messages (paged, filtered), contacts, check-exists, groups, LID map, media files.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import {
  type SimChat, type SimMessage, chatsByRecency, digitsOf, lastMessage, lowerBound, phoneExists, upperBound,
} from '../state/account.js';
import type { WahaSession } from '../state/store.js';
import { ACK_NAMES, chatJid, personJid, toWAMessage } from './format.js';
import { badRequest, getSession, requireStatus } from './http.js';
import { resolveChatId } from './send.routes.js';

const num = (v: unknown, dflt: number, max = 100_000): number => {
  const n = typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), max) : dflt;
};
const page = <T>(list: T[], offset: number, limit: number) => list.slice(offset, offset + limit);

async function working(ctx: SimContext, name: unknown, needStore = false): Promise<WahaSession> {
  const s = getSession(ctx, name);
  await requireStatus(s, ['WORKING']);
  if (needStore && !s.config.noweb.store.enabled) {
    throw new SimError(400, 'Bad Request', {
      message: "Enable NOWEB store 'config.noweb.store.enabled=True' and 'config.noweb.store.full_sync=True' when starting a new session.",
    });
  }
  return s;
}

const chatObject = (c: SimChat) => ({
  id: chatJid(c.key),
  name: c.name,
  conversationTimestamp: lastMessage(c)?.timestamp ?? null,
  unreadCount: c.unread,
});

/** Messages of one chat, newest first unless sortOrder=asc, with WAHA's filters; O(offset+limit) per page. */
function selectMessages(c: SimChat, q: Record<string, unknown>): SimMessage[] {
  const list = c.messages;
  const gte = q['filter.timestamp.gte'] !== undefined ? Number(q['filter.timestamp.gte']) : undefined;
  const lte = q['filter.timestamp.lte'] !== undefined ? Number(q['filter.timestamp.lte']) : undefined;
  const lo = gte !== undefined && Number.isFinite(gte) ? lowerBound(list, gte) : 0;
  const hi = lte !== undefined && Number.isFinite(lte) ? upperBound(list, lte) : list.length;
  const fromMe = q['filter.fromMe'] === 'true' ? true : q['filter.fromMe'] === 'false' ? false : undefined;
  const ackName = typeof q['filter.ack'] === 'string' ? q['filter.ack'] : undefined;
  const limit = num(q.limit, 10);
  let skip = num(q.offset, 0, Number.MAX_SAFE_INTEGER);
  const asc = q.sortOrder === 'asc';
  const out: SimMessage[] = [];
  if (fromMe === undefined && ackName === undefined) {
    const from = asc ? lo + skip : Math.max(lo, hi - skip - limit);
    const to = asc ? Math.min(hi, lo + skip + limit) : hi - skip;
    const slice = from < to ? list.slice(from, to) : [];
    return asc ? slice : slice.reverse();
  }
  for (let i = asc ? lo : hi - 1; asc ? i < hi : i >= lo; i += asc ? 1 : -1) {
    const m = list[i]!;
    if (fromMe !== undefined && m.fromMe !== fromMe) continue;
    if (ackName !== undefined && ACK_NAMES[m.ack] !== ackName) continue;
    if (skip > 0) { skip--; continue; }
    out.push(m);
    if (out.length >= limit) break;
  }
  return out;
}

export function readRouter(ctx: SimContext): Router {
  const r = Router();

  r.get('/:session/chats/overview', async (req, res) => {
    const s = await working(ctx, req.params.session, true);
    const ids = req.query.ids === undefined ? null : new Set([req.query.ids].flat().map(String));
    const chats = chatsByRecency(s.account).filter((c) => !ids || ids.has(chatJid(c.key)));
    res.json(page(chats, num(req.query.offset, 0), num(req.query.limit, 20)).map((c) => {
      const last = lastMessage(c);
      return { id: chatJid(c.key), name: c.name, picture: null, lastMessage: last ? toWAMessage(ctx, s, last) : null, _chat: chatObject(c) };
    }));
  });

  r.get('/:session/chats', async (req, res) => {
    const s = await working(ctx, req.params.session, true);
    const sortBy = req.query.sortBy ?? 'conversationTimestamp';
    const key = (c: SimChat): string | number =>
      sortBy === 'id' ? chatJid(c.key) : sortBy === 'name' ? (c.name ?? '') : (lastMessage(c)?.timestamp ?? 0);
    const chats = [...s.account.chats.values()].sort((a, b) => {
      const x = key(a), y = key(b);
      return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    });
    // Newest first by default, as WAHA lists chats.
    const desc = req.query.sortOrder ? req.query.sortOrder === 'desc' : sortBy === 'conversationTimestamp';
    if (desc) chats.reverse();
    res.json(page(chats, num(req.query.offset, 0), num(req.query.limit, chats.length)).map(chatObject));
  });

  r.get('/:session/chats/:chatId/messages', async (req, res) => {
    const s = await working(ctx, req.params.session, true);
    const chat = s.account.chats.get(resolveChatId(s.account, req.params.chatId));
    const downloadMedia = req.query.downloadMedia !== 'false';
    res.json(chat ? selectMessages(chat, req.query).map((m) => toWAMessage(ctx, s, m, { downloadMedia })) : []);
  });

  r.get('/contacts/all', async (req, res) => {
    const s = await working(ctx, req.query.session);
    const all = [...s.account.contacts.values()].sort((a, b) => a.phone.localeCompare(b.phone));
    if (req.query.sortOrder === 'desc') all.reverse();
    res.json(page(all, num(req.query.offset, 0), num(req.query.limit, all.length)).map((c) => ({
      id: personJid(c.phone), number: c.phone, name: c.name, pushname: c.pushName, shortName: c.name?.split(' ')[0] ?? null,
      isMe: false, isUser: true, isGroup: false, isWAContact: true, isMyContact: c.name !== null, isBlocked: false,
    })));
  });

  r.get('/contacts/check-exists', async (req, res) => {
    if (typeof req.query.phone !== 'string' || !req.query.phone) throw badRequest(['phone should not be empty']);
    await working(ctx, req.query.session);
    const d = digitsOf(req.query.phone);
    const exists = phoneExists(d);
    res.json(exists ? { numberExists: true, chatId: personJid(d) } : { numberExists: false });
  });

  // NOWEB answers groups as an object keyed by id (other engines use an array).
  r.get('/:session/groups', async (req, res) => {
    const s = await working(ctx, req.params.session);
    const out: Record<string, unknown> = {};
    for (const g of s.account.groups.values()) {
      out[g.id] = {
        id: g.id, subject: g.subject, owner: s.account.phone ? personJid(s.account.phone) : null, creation: Math.floor(s.createdAt / 1000),
        participants: g.participants.map((p) => ({ id: personJid(p), admin: null })),
      };
    }
    res.json(out);
  });

  r.get('/:session/lids/count', async (req, res) => {
    const s = await working(ctx, req.params.session);
    res.json({ count: s.account.lidToPhone.size });
  });

  r.get('/:session/lids/pn/:phone', async (req, res) => {
    const s = await working(ctx, req.params.session);
    const d = digitsOf(req.params.phone);
    const lid = s.account.phoneToLid.get(d);
    res.json({ lid: lid ? `${lid}@lid` : null, pn: personJid(d) });
  });

  r.get('/:session/lids/:lid', async (req, res) => {
    const s = await working(ctx, req.params.session);
    const lid = req.params.lid.split('@')[0]!;
    const pn = s.account.lidToPhone.get(lid);
    res.json({ lid: `${lid}@lid`, pn: pn ? personJid(pn) : null });
  });

  r.get('/:session/lids', async (req, res) => {
    const s = await working(ctx, req.params.session);
    const all = [...s.account.lidToPhone.entries()];
    res.json(page(all, num(req.query.offset, 0), num(req.query.limit, 100)).map(([lid, pn]) => ({ lid: `${lid}@lid`, pn: personJid(pn) })));
  });

  r.get('/files/:session/:file', (req, res) => {
    const s = getSession(ctx, req.params.session);
    const media = s.account.media.get(req.params.file);
    if (!media) throw new SimError(404, 'Not Found', { message: 'File not found' });
    res.type(media.mimetype).send(media.data);
  });

  return r;
}
