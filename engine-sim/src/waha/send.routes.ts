// Source of each route: its path in WAHA's OpenAPI document 2026.7.1 (shared/contracts/waha-openapi-2026.7.1.json),
// the same path as the route string below; answers are checked against it in test/waha-contract.test.ts.
// /api/sendText, sendImage, sendFile, sendVoice, sendSeen, startTyping, stopTyping.
// Every sent message is echoed as message.any with source "api", as WAHA does.
import { Router, type Request } from 'express';
import type { SimContext } from '../context.js';
import { type Account, type SimMedia, type SimMessage, addMessage, chatKeyOf, ensureChat, findMessage } from '../state/account.js';
import type { WahaSession } from '../state/store.js';
import { waMessageId } from '../util/ids.js';
import { nowSeconds } from '../util/time.js';
import { extensionFor } from '../util/mime.js';
import { toWAMessage } from './format.js';
import { badRequest, getSession, requireStatus, requiredStrings } from './http.js';
import { emitWaha } from './webhook-sender.js';

type Obj = Record<string, unknown>;

/** A chat id as WAHA accepts it (…@c.us, …@g.us, …@lid, …@s.whatsapp.net) → neutral key. */
export function resolveChatId(acc: Account, chatId: string): string {
  if (chatId.endsWith('@lid')) {
    const phone = acc.lidToPhone.get(chatId.split('@')[0]!);
    if (phone) return phone;
    throw badRequest([`chatId ${chatId} is an unknown LID`]);
  }
  const key = chatKeyOf(chatId);
  if (!key) throw badRequest([`chatId ${chatId} is not a valid chat id`]);
  return key;
}

async function target(ctx: SimContext, req: Request, extra: string[] = []): Promise<{ s: WahaSession; body: Obj; chat: string }> {
  const body = (req.body ?? {}) as Obj;
  requiredStrings(body, ['session', 'chatId', ...extra]);
  const s = getSession(ctx, body.session);
  await requireStatus(s, ['WORKING']);
  return { s, body, chat: resolveChatId(s.account, body.chatId as string) };
}

function parseFile(raw: unknown, id: string): SimMedia {
  const f = (raw ?? {}) as Obj;
  if (typeof f.mimetype !== 'string' || (typeof f.url !== 'string' && typeof f.data !== 'string')) {
    throw badRequest(['file must have mimetype and url or data']);
  }
  const filename = typeof f.filename === 'string' ? f.filename : null;
  // Remote files are not downloaded (the simulator talks to no one but its clients): the URL is kept as the content.
  const data = typeof f.data === 'string' ? Buffer.from(f.data, 'base64') : Buffer.from(String(f.url));
  return { fileName: `${id}.${extensionFor(f.mimetype, filename)}`, mimetype: f.mimetype, filename, data };
}

function sendMessage(ctx: SimContext, s: WahaSession, chat: string, body: Obj, text: string, media: SimMedia | null, id: string) {
  const replyTo = typeof body.reply_to === 'string' ? (findMessage(s.account, body.reply_to)?.id ?? body.reply_to.split('_')[2] ?? null) : null;
  ensureChat(s.account, chat, null);
  const m: SimMessage = {
    id, chat, fromMe: true, sender: null, timestamp: nowSeconds(), body: text, media, ack: 1, source: 'api',
    replyTo, pushName: s.account.pushName, viaLid: false,
  };
  addMessage(s.account, m);
  const wa = toWAMessage(ctx, s, m);
  emitWaha(ctx, s, 'message.any', wa);
  return wa;
}

export function sendRouter(ctx: SimContext): Router {
  const r = Router();
  const record = (s: WahaSession, kind: string, body: Obj, messageId: string | null) => {
    const file = body.file as Obj | undefined;
    const slim = file && typeof file.data === 'string' ? { ...body, file: { ...file, data: `<${file.data.length} base64 chars>` } } : body;
    ctx.store.recordSent(s.name, { engine: 'waha', kind, messageId, request: slim });
  };

  r.post('/sendText', async (req, res) => {
    const { s, body, chat } = await target(ctx, req, ['text']);
    const id = typeof body.id === 'string' && body.id ? body.id : waMessageId();
    const wa = sendMessage(ctx, s, chat, body, body.text as string, null, id);
    record(s, 'text', body, wa.id as string);
    res.status(201).json(wa);
  });

  for (const [path, kind] of [['/sendImage', 'image'], ['/sendFile', 'file'], ['/sendVoice', 'voice']] as const) {
    r.post(path, async (req, res) => {
      const { s, body, chat } = await target(ctx, req);
      const id = waMessageId();
      const media = parseFile(body.file, id);
      const wa = sendMessage(ctx, s, chat, body, typeof body.caption === 'string' ? body.caption : '', media, id);
      record(s, kind, body, wa.id as string);
      res.status(201).json(wa);
    });
  }

  r.post('/sendSeen', async (req, res) => {
    const { s, body, chat } = await target(ctx, req);
    if (body.messageIds !== undefined && !Array.isArray(body.messageIds)) throw badRequest(['messageIds must be an array']);
    const c = s.account.chats.get(chat);
    if (c) c.unread = 0;
    record(s, 'seen', body, null);
    res.status(201).json({});
  });

  for (const [path, kind] of [['/startTyping', 'typing'], ['/stopTyping', 'typing.stop']] as const) {
    r.post(path, async (req, res) => {
      const { s, body } = await target(ctx, req);
      record(s, kind, body, null);
      res.status(201).end();
    });
  }

  return r;
}
