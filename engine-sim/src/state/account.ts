// The phone side of a session, engine-neutral: who is logged in, chats, messages, contacts, LIDs.
// Chat keys are neutral: digits for people, '<id>@g.us' for groups; each engine renders its own JIDs.
import { lidForPhone } from '../util/ids.js';

export interface SimMedia { fileName: string; mimetype: string; filename: string | null; data: Buffer }

export interface SimMessage {
  id: string;              // WhatsApp message id (3EB0...)
  chat: string;            // neutral chat key
  fromMe: boolean;
  sender: string | null;   // digits of the author of an incoming group message
  timestamp: number;       // unix seconds
  body: string;
  media: SimMedia | null;
  ack: number;             // WAHA scale: -1 ERROR .. 4 PLAYED
  source: 'api' | 'app';
  replyTo: string | null;  // quoted message id
  pushName: string | null;
  viaLid: boolean;         // the sender was addressed by LID when it arrived
}

export interface SimChat { key: string; name: string | null; isGroup: boolean; messages: SimMessage[]; unread: number }
export interface SimContact { phone: string; name: string | null; pushName: string | null }
export interface SimGroup { id: string; subject: string; participants: string[] }

export interface Account {
  phone: string | null;    // set once a phone has scanned (stays across stop/start, cleared by logout)
  pushName: string;
  chats: Map<string, SimChat>;
  byId: Map<string, SimMessage>;
  contacts: Map<string, SimContact>;
  lidToPhone: Map<string, string>;
  phoneToLid: Map<string, string>;
  groups: Map<string, SimGroup>;
  media: Map<string, SimMedia>;
}

export function newAccount(pushName: string): Account {
  return {
    phone: null, pushName, chats: new Map(), byId: new Map(), contacts: new Map(),
    lidToPhone: new Map(), phoneToLid: new Map(), groups: new Map(), media: new Map(),
  };
}

export const isGroupKey = (key: string) => key.endsWith('@g.us');

/** Digits of a phone or JID ("+1 555…", "1555@c.us", "1555:12@s.whatsapp.net" → "1555…"). */
export function digitsOf(v: string): string {
  return v.split('@')[0]!.split(':')[0]!.replace(/[^0-9]/g, '');
}

/** Neutral chat key from anything an API caller may pass; null when it cannot be one. */
export function chatKeyOf(v: string): string | null {
  const s = v.trim();
  if (s.endsWith('@g.us')) return s;
  if (s.endsWith('@lid')) return null; // resolved by the caller through the LID map
  const d = digitsOf(s);
  return d.length >= 5 && d.length <= 20 ? d : null;
}

export function lidOf(acc: Account, phone: string): string {
  let lid = acc.phoneToLid.get(phone);
  if (!lid) {
    lid = lidForPhone(phone);
    acc.phoneToLid.set(phone, lid);
    acc.lidToPhone.set(lid, phone);
  }
  return lid;
}

export function ensureContact(acc: Account, phone: string, name: string | null, pushName: string | null): SimContact {
  let c = acc.contacts.get(phone);
  if (!c) {
    c = { phone, name, pushName };
    acc.contacts.set(phone, c);
  } else {
    if (name) c.name = name;
    if (pushName) c.pushName = pushName;
  }
  lidOf(acc, phone);
  return c;
}

export function ensureChat(acc: Account, key: string, name: string | null): SimChat {
  let chat = acc.chats.get(key);
  if (!chat) {
    chat = { key, name, isGroup: isGroupKey(key), messages: [], unread: 0 };
    acc.chats.set(key, chat);
  } else if (name && !chat.name) chat.name = name;
  return chat;
}

/** Appends in timestamp order (live messages are newest, so this is a push in practice). */
export function addMessage(acc: Account, m: SimMessage): SimMessage {
  const chat = ensureChat(acc, m.chat, null);
  const list = chat.messages;
  if (list.length === 0 || list[list.length - 1]!.timestamp <= m.timestamp) list.push(m);
  else list.splice(upperBound(list, m.timestamp), 0, m);
  if (!m.fromMe) chat.unread++;
  acc.byId.set(m.id, m);
  if (m.media) acc.media.set(m.media.fileName, m.media);
  return m;
}

/** Finds a message by its bare id or by an engine id ("true_<chat>_<id>[_<participant>]"). */
export function findMessage(acc: Account, anyId: string): SimMessage | undefined {
  const direct = acc.byId.get(anyId);
  if (direct) return direct;
  const parts = anyId.split('_');
  return parts.length >= 3 ? acc.byId.get(parts[2]!) : undefined;
}

/** First index whose timestamp is > ts (messages are ascending). */
export function upperBound(list: SimMessage[], ts: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.timestamp <= ts) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** First index whose timestamp is >= ts. */
export function lowerBound(list: SimMessage[], ts: number): number {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.timestamp < ts) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export function lastMessage(chat: SimChat): SimMessage | null {
  return chat.messages[chat.messages.length - 1] ?? null;
}

/** Chats newest first by their last message. */
export function chatsByRecency(acc: Account): SimChat[] {
  return [...acc.chats.values()].sort((a, b) => (lastMessage(b)?.timestamp ?? 0) - (lastMessage(a)?.timestamp ?? 0));
}

export function countMessages(acc: Account): number {
  let n = 0;
  for (const c of acc.chats.values()) n += c.messages.length;
  return n;
}

/**
 * WhatsApp existence rule of the simulator: 7–15 digits; numbers starting with 999, and numbers ending
 * in 0000 (valid numbers a gateway accepts, to stand for a real phone without WhatsApp), are not on WhatsApp.
 */
export const phoneExists = (digits: string) => digits.length >= 7 && digits.length <= 15 && !digits.startsWith('999') && !digits.endsWith('0000');
