// Fills a phone's history quickly and deterministically enough for import tests (100k messages in well under a second).
import { waMessageId } from '../util/ids.js';
import { nowSeconds } from '../util/time.js';
import { type Account, type SimMessage, ensureChat, ensureContact } from './account.js';

export interface HistoryRequest { chats: number; messagesPerChat: number }
export interface HistoryResult { chats: number; messages: number; totalMessages: number; chatIds: string[] }

export const HISTORY_LIMIT = 1_000_000;

/** Phones 1 555 01xx xxxx: distinct per chat index, never starting with 999 (all "exist"). */
export const historyPhone = (i: number) => `1555${String(100_000 + i).padStart(7, '0')}`;

export function fillHistory(acc: Account, req: HistoryRequest): HistoryResult {
  const chats = Math.max(0, Math.floor(req.chats));
  const per = Math.max(0, Math.floor(req.messagesPerChat));
  if (chats * per > HISTORY_LIMIT) throw new Error(`at most ${HISTORY_LIMIT} messages at once`);
  const now = nowSeconds();
  // Spread each chat's messages over the past (oldest about `per` minutes + a day ago), newest an hour ago.
  const end = now - 3600;
  const chatIds: string[] = [];
  let next = acc.contacts.size;
  for (let c = 0; c < chats; c++) {
    while (acc.contacts.has(historyPhone(next))) next++;
    const phone = historyPhone(next++);
    const name = `History Contact ${c + 1}`;
    ensureContact(acc, phone, name, name);
    const chat = ensureChat(acc, phone, name);
    chatIds.push(phone);
    const start = end - per * 60 - c * 7;
    const fresh: SimMessage[] = new Array(per);
    for (let m = 0; m < per; m++) {
      const fromMe = (m + c) % 3 === 0; // both directions, deterministic
      fresh[m] = {
        id: waMessageId(), chat: phone, fromMe, sender: null, timestamp: start + m * 60,
        body: `History ${c + 1}.${m + 1}: ${fromMe ? 'sent from the phone' : 'received'}`,
        media: null, ack: fromMe ? 3 : 2, source: 'app', replyTo: null, pushName: fromMe ? acc.pushName : name, viaLid: false,
      };
    }
    for (const msg of fresh) acc.byId.set(msg.id, msg);
    chat.messages = chat.messages.length ? [...chat.messages, ...fresh].sort((a, b) => a.timestamp - b.timestamp) : fresh;
  }
  let total = 0;
  for (const ch of acc.chats.values()) total += ch.messages.length;
  return { chats, messages: chats * per, totalMessages: total, chatIds };
}
