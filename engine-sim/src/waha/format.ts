// Renders neutral state into WAHA (NOWEB) shapes: JIDs, message ids, WAMessage, MeInfo.
import type { SimContext } from '../context.js';
import { type Account, type SimMessage, isGroupKey, lidOf } from '../state/account.js';
import type { WahaSession } from '../state/store.js';

export const ACK_NAMES: Record<number, string> = { [-1]: 'ERROR', 0: 'PENDING', 1: 'SERVER', 2: 'DEVICE', 3: 'READ', 4: 'PLAYED' };

export const personJid = (digits: string) => `${digits}@c.us`;
export const chatJid = (key: string) => (isGroupKey(key) ? key : personJid(key));

export function meInfo(s: WahaSession): { id: string; pushName: string; lid: string; jid: string } | null {
  const phone = s.account.phone;
  if (!phone || s.status !== 'WORKING') return null;
  return { id: personJid(phone), pushName: s.account.pushName, lid: `${lidOf(s.account, phone)}@lid`, jid: `${phone}:12@s.whatsapp.net` };
}

export interface RenderOpts { lidForm?: boolean; downloadMedia?: boolean }

/** The id WAHA gives a message: {fromMe}_{chatId}_{id}[_{participant}]. */
export function wahaMessageId(acc: Account, m: SimMessage, lidForm = false): string {
  const { chat, participant } = parties(acc, m, lidForm);
  return `${m.fromMe}_${chat}_${m.id}${participant ? `_${participant}` : ''}`;
}

function parties(acc: Account, m: SimMessage, lidForm: boolean): { chat: string; participant: string | null; me: string } {
  const me = personJid(acc.phone ?? '0');
  const asLid = (digits: string) => `${lidOf(acc, digits)}@lid`;
  if (isGroupKey(m.chat)) {
    const author = m.fromMe ? me : m.sender ? (lidForm ? asLid(m.sender) : personJid(m.sender)) : null;
    return { chat: m.chat, participant: author, me };
  }
  return { chat: lidForm ? asLid(m.chat) : personJid(m.chat), participant: null, me };
}

export function mediaUrl(ctx: SimContext, session: string, fileName: string): string {
  return `${ctx.baseUrl()}/api/files/${encodeURIComponent(session)}/${encodeURIComponent(fileName)}`;
}

export function toWAMessage(ctx: SimContext, s: WahaSession, m: SimMessage, o: RenderOpts = {}): Record<string, unknown> {
  const acc = s.account;
  const lidForm = o.lidForm ?? false;
  const { chat, participant, me } = parties(acc, m, lidForm);
  const id = `${m.fromMe}_${chat}_${m.id}${participant ? `_${participant}` : ''}`;
  const quoted = m.replyTo ? acc.byId.get(m.replyTo) : undefined;
  const media = m.media && (o.downloadMedia ?? true)
    ? { url: mediaUrl(ctx, s.name, m.media.fileName), mimetype: m.media.mimetype, filename: m.media.filename, error: null }
    : null;
  return {
    id,
    timestamp: m.timestamp,
    from: m.fromMe ? me : chat,
    fromMe: m.fromMe,
    source: m.source,
    to: m.fromMe ? chat : me,
    participant,
    body: m.body,
    hasMedia: m.media !== null,
    media,
    ack: m.ack,
    ackName: ACK_NAMES[m.ack] ?? 'UNKNOWN',
    replyTo: m.replyTo ? { id: m.replyTo, participant: null, body: quoted?.body ?? null, hasMedia: quoted?.media != null, _data: {} } : null,
    _data: {
      key: { remoteJid: chat, fromMe: m.fromMe, id: m.id, ...(participant && !m.fromMe ? { participant } : {}) },
      messageTimestamp: m.timestamp,
      pushName: m.pushName,
      message: m.media ? { [`${m.media.mimetype.startsWith('image/') ? 'image' : 'document'}Message`]: { caption: m.body, mimetype: m.media.mimetype } } : { conversation: m.body },
    },
  };
}
