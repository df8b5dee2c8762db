// Renders neutral state into WuzAPI (whatsmeow) shapes: JIDs, Message and ReadReceipt events.
import { type Account, type SimMessage, chatKeyOf, digitsOf, isGroupKey, lidOf } from '../state/account.js';
import { rfc3339WithOffset } from '../util/time.js';
import { fail } from './http.js';

export const userJid = (digits: string) => `${digits}@s.whatsapp.net`;
export const wuzChatJid = (key: string) => (isGroupKey(key) ? key : userJid(key));

/** WuzAPI's Phone field: digits (a leading + stripped) or a full JID. */
export function parsePhone(acc: Account, phone: unknown): string {
  if (typeof phone !== 'string' || !phone.trim()) throw fail(400, 'missing Phone in Payload');
  const p = phone.trim().replace(/^\+/, '');
  if (p.endsWith('@lid')) {
    const pn = acc.lidToPhone.get(digitsOf(p));
    if (!pn) throw fail(400, 'could not parse Phone');
    return pn;
  }
  if (p.includes('@') && !p.endsWith('@s.whatsapp.net') && !p.endsWith('@g.us')) throw fail(400, 'could not parse Phone');
  const key = chatKeyOf(p);
  if (!key) throw fail(400, 'could not parse Phone');
  return key;
}

/** event.Message in protobuf-JSON form. */
function protoMessage(m: SimMessage): Record<string, unknown> {
  const ctxInfo = m.replyTo ? { contextInfo: { stanzaID: m.replyTo } } : {};
  if (m.media) {
    const kind = m.media.mimetype.startsWith('image/') ? 'imageMessage' : m.media.mimetype.startsWith('audio/') ? 'audioMessage' : 'documentMessage';
    return { [kind]: { caption: m.body, mimetype: m.media.mimetype, fileLength: m.media.data.length, ...(m.media.filename ? { fileName: m.media.filename } : {}), ...ctxInfo } };
  }
  return m.replyTo ? { extendedTextMessage: { text: m.body, ...ctxInfo } } : { conversation: m.body };
}

export function messageEventFields(acc: Account, m: SimMessage, lidForm: boolean): Record<string, unknown> {
  const me = acc.phone ?? '0';
  const group = isGroupKey(m.chat);
  const senderDigits = m.fromMe ? me : group ? (m.sender ?? '0') : m.chat;
  const pn = userJid(senderDigits);
  const lid = `${lidOf(acc, senderDigits)}@lid`;
  const chat = group ? m.chat : lidForm ? lid : userJid(m.chat);
  const info = {
    Chat: chat,
    Sender: lidForm ? lid : pn,
    IsFromMe: m.fromMe,
    IsGroup: group,
    SenderAlt: lidForm ? pn : lid,
    RecipientAlt: '',
    AddressingMode: lidForm ? 'lid' : 'pn',
    ID: m.id,
    Type: m.media ? 'media' : 'text',
    MediaType: m.media ? (m.media.mimetype.startsWith('image/') ? 'image' : 'document') : '',
    PushName: m.pushName ?? '',
    Timestamp: rfc3339WithOffset(m.timestamp),
    Category: '',
    Multicast: false,
  };
  const extras = m.media
    ? { base64: m.media.data.toString('base64'), mimeType: m.media.mimetype, fileName: m.media.filename ?? m.media.fileName }
    : {};
  return { event: { Info: info, Message: protoMessage(m), IsEphemeral: false, IsViewOnce: false, IsEdit: false }, ...extras };
}

/** ReadReceipt: Delivered for acks up to DEVICE, Read for READ/PLAYED, ReadSelf when our own phone read an incoming message. */
export function receiptFields(acc: Account, m: SimMessage, ack: number): Record<string, unknown> | null {
  if (ack < 2) return null;
  const state = !m.fromMe ? 'ReadSelf' : ack >= 3 ? 'Read' : 'Delivered';
  const me = acc.phone ?? '0';
  const group = isGroupKey(m.chat);
  const other = group ? (m.sender ?? me) : m.chat;
  return {
    state,
    event: {
      Chat: wuzChatJid(m.chat),
      Sender: userJid(m.fromMe ? other : me),
      IsFromMe: !m.fromMe,
      IsGroup: group,
      MessageIDs: [m.id],
      Timestamp: rfc3339WithOffset(Math.floor(Date.now() / 1000)),
      Type: state === 'Delivered' ? '' : state === 'Read' ? 'read' : 'read-self',
    },
  };
}
