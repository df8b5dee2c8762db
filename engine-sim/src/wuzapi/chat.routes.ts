// /wuzapi/chat/*: send text/image/document/audio (never echoed as webhooks), markread, presence, history.
// Source of every route: asternic/wuzapi handlers.go (function named beside each route) at upstream
// commit 30c1805720c630b4ecfc842dd3ff63966c3ba315.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { type SimMedia, type SimMessage, addMessage, findMessage } from '../state/account.js';
import type { WuzUser } from '../state/store.js';
import { waMessageId } from '../util/ids.js';
import { extensionFor } from '../util/mime.js';
import { nowSeconds } from '../util/time.js';
import { parsePhone, wuzChatJid } from './format.js';
import { historyIndex, newestFirst, rowJson, saveRow, trimRows } from './history-table.js';
import { fail, ok, requireLoggedIn, userOf } from './http.js';

type Obj = Record<string, unknown>;

/**
 * Media as each real handler takes it (all in handlers.go): SendImage wants "data:image…" (or an
 * http(s) URL), SendAudio "data:audio/…", SendDocument exactly "data:application/octet-stream…" with
 * the real type in MimeType. Remote URLs are kept, not fetched.
 */
function parseMedia(value: unknown, field: string, prefix: string, filename: string | null, id: string, mimeType: unknown, allowUrl: boolean): SimMedia {
  if (typeof value !== 'string' || !value) throw fail(400, `missing ${field} in Payload`);
  const m = value.match(/^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s);
  if (m && value.startsWith(prefix)) {
    const type = typeof mimeType === 'string' && mimeType ? mimeType : m[1]!;
    return { fileName: `${id}.${extensionFor(type, filename)}`, mimetype: type, filename, data: Buffer.from(m[2]!, 'base64') };
  }
  if (allowUrl && /^https?:\/\//.test(value)) return { fileName: `${id}.${extensionFor('image/jpeg', filename)}`, mimetype: 'image/jpeg', filename, data: Buffer.from(value) };
  throw fail(400, `${field.toLowerCase()} data should start with "${prefix}${prefix.endsWith('/') ? '' : ';base64,'}"`);
}

function send(ctx: SimContext, u: WuzUser, b: Obj, kind: string, text: string, media: SimMedia | null, id: string) {
  const chat = parsePhone(u.account, b.Phone);
  const ci = (b.ContextInfo ?? {}) as Obj;
  const quoted = typeof ci.StanzaID === 'string' ? ci.StanzaID : typeof ci.StanzaId === 'string' ? ci.StanzaId : null;
  // validateMessageFields: StanzaID and Participant come together or not at all.
  if ((quoted === null) !== (typeof ci.Participant !== 'string')) throw fail(400, quoted ? 'missing Participant in ContextInfo' : 'missing StanzaID in ContextInfo');
  const m: SimMessage = {
    id, chat, fromMe: true, sender: null, timestamp: nowSeconds(), body: text, media, ack: 1, source: 'api',
    replyTo: quoted ? (findMessage(u.account, quoted)?.id ?? quoted) : null, pushName: u.account.pushName, viaLid: false,
  };
  addMessage(u.account, m);
  // saveOutgoingMessageToHistory: sender "me", no data_json, trimmed to the user's setting.
  if (u.history > 0) {
    const chatJid = wuzChatJid(chat);
    saveRow(ctx, u, { chat_jid: chatJid, sender_jid: 'me', message_id: id, message_type: kind, text_content: text, media_link: '', quoted_message_id: '', data_json: '' });
    trimRows(u, chatJid, u.history);
  }
  const slim = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === 'string' && v.length > 512 ? `<${v.length} chars>` : v]));
  ctx.store.recordSent(u.name, { engine: 'wuzapi', kind, messageId: id, chatId: wuzChatJid(chat), request: slim });
  return { Details: 'Sent', Timestamp: m.timestamp, Id: id };
}

export function chatRouter(ctx: SimContext): Router {
  const r = Router();
  const body = (req: { body?: unknown }) => (req.body ?? {}) as Obj;

  // SendMessage
  r.post('/chat/send/text', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    if (typeof b.Body !== 'string' || !b.Body) throw fail(400, 'missing Body in Payload');
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    ok(res, 200, send(ctx, u, b, 'text', b.Body, null, id));
  });

  // SendImage
  r.post('/chat/send/image', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Image, 'Image', 'data:image', null, id, b.MimeType, true);
    ok(res, 200, send(ctx, u, b, 'image', typeof b.Caption === 'string' ? b.Caption : '', media, id));
  });

  // SendDocument: only "data:application/octet-stream;base64,…"; the real type travels in MimeType.
  r.post('/chat/send/document', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    if (typeof b.Document !== 'string' || !b.Document) throw fail(400, 'missing Document in Payload');
    if (typeof b.FileName !== 'string' || !b.FileName) throw fail(400, 'missing FileName in Payload');
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Document, 'Document', 'data:application/octet-stream', b.FileName, id, b.MimeType, false);
    ok(res, 200, send(ctx, u, b, 'document', typeof b.Caption === 'string' ? b.Caption : '', media, id));
  });

  // SendAudio
  r.post('/chat/send/audio', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    const id = typeof b.Id === 'string' && b.Id ? b.Id : waMessageId();
    const media = parseMedia(b.Audio, 'Audio', 'data:audio/', null, id, b.mimetype, false);
    ok(res, 200, send(ctx, u, b, 'audio', '', media, id));
  });

  // MarkRead
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

  // ChatPresence
  r.post('/chat/presence', (req, res) => {
    const u = userOf(res);
    const b = body(req);
    requireLoggedIn(u);
    ctx.store.recordSent(u.name, { engine: 'wuzapi', kind: 'presence', messageId: null, request: b });
    ok(res, 200, { Details: 'Chat presence set successfuly' });
  });

  // GetHistory: 501 when the user's history is 0; chat_jid=index → {userId: [{chat_jid, last_updated}]}
  // for every user of the server; otherwise the chat's rows newest first, `limit` only (default 50,
  // no offset); an empty chat marshals a nil slice: data null.
  r.get('/chat/history', (req, res) => {
    const u = userOf(res);
    if (u.history <= 0) throw fail(501, 'message history is disabled for this user');
    const jid = req.query.chat_jid;
    if (typeof jid !== 'string' || !jid) throw fail(400, 'chat_jid is required');
    if (jid === 'index') {
      ok(res, 200, historyIndex(ctx));
      return;
    }
    let limit = 50;
    if (typeof req.query.limit === 'string' && req.query.limit !== '') {
      if (!/^[+-]?\d+$/.test(req.query.limit)) throw fail(400, 'invalid limit');
      limit = Number(req.query.limit);
    }
    // SQL LIMIT: a negative limit is no limit in SQLite (and an error in PostgreSQL).
    const rows = newestFirst(u.saved.get(jid) ?? []);
    const page = limit < 0 ? rows : rows.slice(0, limit);
    ok(res, 200, page.length ? page.map(rowJson) : null);
  });

  return r;
}
