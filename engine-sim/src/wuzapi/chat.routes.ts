// /wuzapi/chat/*: send text/image/document/audio (never echoed as webhooks), markread, presence, history.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { type SimMedia, type SimMessage, addMessage, chatsByRecency, digitsOf, findMessage, isGroupKey, lastMessage, upperBound } from '../state/account.js';
import type { WuzUser } from '../state/store.js';
import { waMessageId } from '../util/ids.js';
import { extensionFor } from '../util/mime.js';
import { nowSeconds, rfc3339WithOffset } from '../util/time.js';
import { userJid, parsePhone, wuzChatJid } from './format.js';
import { fail, ok, requireLoggedIn, userOf } from './http.js';

type Obj = Record<string, unknown>;

/** A data: URL or http(s) URL as WuzAPI takes media; remote URLs are kept, not fetched. */
function parseMedia(value: unknown, field: string, fallbackMime: string, filename: string | null, id: string): SimMedia {
  if (typeof value !== 'string' || !value) throw fail(400, `missing ${field} in Payload`);
  const m = value.match(/^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s);
  if (m) return { fileName: `${id}.${extensionFor(m[1]!, filename)}`, mimetype: m[1]!, filename, data: Buffer.from(m[2]!, 'base64') };
  if (/^https?:\/\//.test(value)) return { fileName: `${id}.${extensionFor(fallbackMime, filename)}`, mimetype: fallbackMime, filename, data: Buffer.from(value) };
  throw fail(400, `${field} data should start with "data:<mimetype>;base64,"`);
}

function send(ctx: SimContext, u: WuzUser, b: Obj, kind: string, text: string, media: SimMedia | null, id: string) {
  const chat = parsePhone(u.account, b.Phone);
  const ci = (b.ContextInfo ?? {}) as Obj;
  const quoted = typeof ci.StanzaID === 'string' ? ci.StanzaID : typeof ci.StanzaId === 'string' ? ci.StanzaId : null;
  const m: SimMessage = {
    id, chat, fromMe: true, sender: null, timestamp: nowSeconds(), body: text, media, ack: 1, source: 'api',
    replyTo: quoted ? (findMessage(u.account, quoted)?.id ?? quoted) : null, pushName: u.account.pushName, viaLid: false,
  };
  addMessage(u.account, m);
  const slim = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === 'string' && v.length > 512 ? `<${v.length} chars>` : v]));
  ctx.store.recordSent(u.name, { engine: 'wuzapi', kind, messageId: id, chatId: wuzChatJid(chat), request: slim });
  return { Details: 'Sent', Timestamp: m.timestamp, Id: id };
}

const historyRow = (u: WuzUser, m: SimMessage, i: number) => ({
  id: i + 1,
  user_id: u.id,
  chat_jid: wuzChatJid(m.chat),
  sender_jid: userJid(m.fromMe ? (u.account.phone ?? '0') : isGroupKey(m.chat) ? (m.sender ?? '0') : m.chat),
  message_id: m.id,
  timestamp: rfc3339WithOffset(m.timestamp),
  message_type: m.media ? (m.media.mimetype.startsWith('image/') ? 'image' : 'document') : 'text',
  text_content: m.body,
  media_link: '',
  quoted_message_id: m.replyTo ?? '',
  from_me: m.fromMe,
  push_name: m.pushName ?? '',
});

export function chatRouter(ctx: SimContext): Router {
  const r = Router();
  const body = (req: { body?: unknown }) => (req.body ?? {}) as Obj;

  r.post('/chat/send/text', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    if (typeof b.Body !== 'string' || !b.Body) throw fail(400, 'missing Body in Payload');
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    ok(res, 200, send(ctx, u, b, 'text', b.Body, null, id));
  });

  r.post('/chat/send/image', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Image, 'Image', 'image/jpeg', null, id);
    ok(res, 200, send(ctx, u, b, 'image', typeof b.Caption === 'string' ? b.Caption : '', media, id));
  });

  r.post('/chat/send/document', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    if (typeof b.FileName !== 'string' || !b.FileName) throw fail(400, 'missing FileName in Payload');
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Document, 'Document', 'application/octet-stream', b.FileName, id);
    ok(res, 200, send(ctx, u, b, 'document', typeof b.Caption === 'string' ? b.Caption : '', media, id));
  });

  r.post('/chat/send/audio', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Audio, 'Audio', 'audio/ogg', null, id);
    ok(res, 200, send(ctx, u, b, 'audio', '', media, id));
  });

  r.post('/chat/markread', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    if (!Array.isArray(b.Id) || b.Id.length === 0) throw fail(400, 'missing Id in Payload');
    const chatPhone = b.ChatPhone ?? b.Chat;
    if (typeof chatPhone === 'string' && chatPhone) {
      const chat = u.account.chats.get(parsePhone(u.account, chatPhone));
      if (chat) chat.unread = 0;
    }
    ctx.store.recordSent(u.name, { engine: 'wuzapi', kind: 'markread', messageId: null, request: b });
    ok(res, 200, { Details: 'Message(s) marked as read' });
  });

  r.post('/chat/presence', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    ctx.store.recordSent(u.name, { engine: 'wuzapi', kind: 'presence', messageId: null, request: b });
    ok(res, 200, { Details: 'Chat presence set successfuly' });
  });

  // History as WuzAPI stores it (newest first, `limit`), only when enabled for the user.
  // Simulator additions: chat_jid=index lists the chats; `offset` and `before` (unix seconds) page further back.
  r.get('/chat/history', (req, res) => {
    const u = userOf(res);
    if (u.history <= 0) throw fail(400, 'message history is disabled for this user');
    const jid = req.query.chat_jid;
    if (typeof jid !== 'string' || !jid) throw fail(400, 'missing chat_jid parameter');
    const limit = Math.min(Math.max(1, Number(req.query.limit) || 50), 100_000);
    const offset = Math.max(0, Number(req.query.offset) || 0);
    if (jid === 'index') {
      const chats = chatsByRecency(u.account).filter((c) => c.messages.length > 0);
      ok(res, 200, chats.slice(offset, offset + limit).map((c) => ({
        chat_jid: wuzChatJid(c.key), name: c.name ?? '', message_count: c.messages.length,
        last_message_time: rfc3339WithOffset(lastMessage(c)!.timestamp),
      })));
      return;
    }
    const key = jid.endsWith('@g.us') ? jid : digitsOf(jid);
    const chat = u.account.chats.get(key);
    if (!chat) {
      ok(res, 200, []);
      return;
    }
    const before = Number(req.query.before);
    const end = (Number.isFinite(before) ? upperBound(chat.messages, before - 1) : chat.messages.length) - offset;
    const start = Math.max(0, end - limit);
    const rows = end > 0 ? chat.messages.slice(start, end).map((m, i) => historyRow(u, m, start + i)).reverse() : [];
    ok(res, 200, rows);
  });

  return r;
}
