// What a WhatsApp message holds, read from its protobuf JSON — the same for both engines: WAHA NOWEB
// hands it as `_data.message` (Baileys, camelCase), WuzAPI as `event.Message` and HistorySync items
// (whatsmeow's Go JSON: camelCase fields, but `ID`/`remoteJID`/`stanzaID` in keys and contexts).
// Field names from WhatsApp's own protobuf (WAProto / waE2E): locationMessage.degreesLatitude,
// contactMessage.vcard, pollCreationMessage{,V2,V3}.options[].optionName, templateMessage.hydratedTemplate,
// protocolMessage{type: REVOKE | MESSAGE_EDIT, key, editedMessage}, secretEncryptedMessage.targetMessageKey.
import type { EngineEvent, EngineMessage, MessageContent, SealedChange } from './engine.types.js';
import { arr, bool, isObj, num, obj, str, type Obj } from './engine-http.js';
import { isGroup, toCanonical } from './jid.js';
import { bytesOf } from './msg-secret.js';

const WRAPPERS = [
  'ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'viewOnceMessageV2Extension', 'documentWithCaptionMessage',
  'editedMessage', 'deviceSentMessage', 'botInvokeMessage', 'groupMentionedMessage', 'lottieStickerMessage',
];

/** Unwraps ephemeral / view-once / document-with-caption wrappers ({wrapper: {message: {...}}}). */
export function unwrap(message: unknown): Obj {
  let m = obj(message);
  // A plain loop: this runs for every delivery, and most messages have no wrapper at all.
  outer: for (let i = 0; i < 4; i++) {
    for (const k of WRAPPERS) {
      const w = m[k];
      if (w !== undefined && w !== null && isObj((w as Obj).message)) {
        m = (w as Obj).message as Obj;
        continue outer;
      }
    }
    break;
  }
  return m;
}

const pick = (o: Obj, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
};

export interface ProtoRead {
  type: EngineMessage['type'];
  body: string | null;
  content: MessageContent | null;
  quotedId: string | null;
  mimetype: string | null;
  fileName: string | null;
  isMedia: boolean;
  /** A protocol message: not a message of its own, but a change to another one. */
  change?: { kind: 'revoke'; targetId: string } | { kind: 'edit'; targetId: string; body: string | null } | null;
  /** Reactions and poll votes travel as messages too; the caller reads them itself. */
  isReaction?: boolean;
  isPollUpdate?: boolean;
  /** An edit or vote sealed with the original's secret, as the engine passed it on (see msg-secret.ts). */
  sealed?: SealedPart | null;
  /** This message's own secret (messageContextInfo.messageSecret), base64. */
  secret?: string | null;
}

/** The sealed part of a secretEncryptedMessage / pollUpdateMessage. */
export interface SealedPart {
  use: SealedChange['use'];
  targetId: string;
  target: { remoteJid: string | null; fromMe: boolean; participant: string | null };
  payload: string;
  iv: string;
}

/** messageContextInfo.messageSecret of the message or of the message a wrapper holds, as base64. */
function secretOf(raw: Obj, m: Obj): string | null {
  const b = bytesOf(obj(raw.messageContextInfo).messageSecret) ?? bytesOf(obj(m.messageContextInfo).messageSecret);
  return b && b.length >= 16 ? b.toString('base64') : null;
}

function sealedPart(use: SealedPart['use'], key: unknown, payload: unknown, iv: unknown): SealedPart | null {
  const k = obj(key);
  const targetId = keyId(k);
  const p = bytesOf(payload);
  const v = bytesOf(iv);
  if (!targetId || !p || !v) return null;
  return {
    use,
    targetId,
    target: { remoteJid: str(pick(k, 'remoteJid', 'remoteJID', 'RemoteJID')), fromMe: bool(pick(k, 'fromMe', 'FromMe')), participant: str(pick(k, 'participant', 'Participant')) },
    payload: p.toString('base64'),
    iv: v.toString('base64'),
  };
}

/**
 * A sealed part as the ingest opens it. `modSenders`: every form (phone, LID) of who sent the change.
 * The original's sender is read from the target key as whatsmeow does (getOrigSenderFromKey): our own
 * message → the change's sender; a one-to-one chat → the key's chat; a group → the key's participant.
 */
export function sealedChange(part: SealedPart, o: { id: string; chatJid: string; senderJid: string | null; fromMe: boolean; modSenders: (string | null | undefined)[]; at: Date }): SealedChange {
  const jids = (xs: (string | null | undefined)[]) => [...new Set(xs.map((x) => toCanonical(x)).filter((x): x is string => !!x))];
  const modSenders = jids(o.modSenders);
  const origSenders = part.target.fromMe ? modSenders : isGroup(o.chatJid) || isGroup(toCanonical(part.target.remoteJid)) ? jids([part.target.participant]) : jids([part.target.remoteJid, o.chatJid]);
  return { use: part.use, id: o.id, targetId: part.targetId, chatJid: o.chatJid, senderJid: o.senderJid, fromMe: o.fromMe, origSenders, modSenders, payload: part.payload, iv: part.iv, timestamp: o.at };
}

const MEDIA: [string, EngineMessage['type']][] = [
  ['imageMessage', 'image'], ['videoMessage', 'video'], ['ptvMessage', 'video'], ['audioMessage', 'audio'], ['pttMessage', 'voice'],
  ['documentMessage', 'document'], ['stickerMessage', 'sticker'],
];

/** Text of a number-ish field (protobuf JSON gives doubles as numbers; Baileys sometimes as strings). */
const coord = (v: unknown): number | null => num(v);

/** Names, numbers and the raw vCard of a contactMessage. */
function contactOf(c: Obj) {
  const vcard = str(c.vcard) ?? '';
  const numbers = [...vcard.matchAll(/^(?:item\d+\.)?TEL[^:\n]*:(.+)$/gim)].map((x) => x[1]!.trim()).filter(Boolean);
  const fn = /^FN[^:\n]*:(.+)$/im.exec(vcard)?.[1]?.trim() ?? null;
  return { name: str(c.displayName) ?? fn ?? null, numbers, vcard: vcard || null };
}

/** Text of a button, whichever of WhatsApp's button shapes it is. */
function buttonText(b: unknown): string | null {
  const o = obj(b);
  for (const k of ['quickReplyButton', 'urlButton', 'callButton']) {
    const x = obj(o[k]);
    const t = str(x.displayText) ?? str(obj(x.displayText).text);
    if (t) return k === 'urlButton' && str(x.url) ? `${t} (${x.url})` : k === 'callButton' && str(x.phoneNumber) ? `${t} (${x.phoneNumber})` : t;
  }
  const bt = str(obj(o.buttonText).displayText);
  if (bt) return bt;
  // interactiveMessage.nativeFlowMessage.buttons[]: {name, buttonParamsJson: '{"display_text": ...}'}
  const params = str(o.buttonParamsJson);
  if (params) {
    try {
      const p = obj(JSON.parse(params));
      return str(p.display_text) ?? str(p.title) ?? str(o.name);
    } catch {
      return str(o.name);
    }
  }
  return str(o.title) ?? str(o.displayText);
}

/** Business templates and their relatives (buttons, list, interactive) → one template content. */
function templateOf(m: Obj): { content: MessageContent; mediaKey: string | null; media: Obj | null } | null {
  const tm = obj(m.templateMessage);
  const h = obj(pick(tm, 'hydratedTemplate', 'hydratedFourRowTemplate', 'fourRowTemplate'));
  const mediaKeyOf = (o: Obj) => ['imageMessage', 'videoMessage', 'documentMessage', 'locationMessage'].find((k) => isObj(o[k])) ?? null;
  if (isObj(m.templateMessage)) {
    const mk = mediaKeyOf(h);
    return {
      content: {
        type: 'template',
        header: { text: str(h.hydratedTitleText) ?? str(obj(h.title).text) ?? null, media: mk ? mk.replace('Message', '') : null },
        body: str(h.hydratedContentText) ?? str(obj(h.content).text) ?? null,
        footer: str(h.hydratedFooterText) ?? str(obj(h.footer).text) ?? null,
        buttons: arr(pick(h, 'hydratedButtons', 'buttons')).map(buttonText).filter((x): x is string => !!x),
      },
      mediaKey: mk,
      media: mk ? obj(h[mk]) : null,
    };
  }
  if (isObj(m.buttonsMessage)) {
    const b = obj(m.buttonsMessage);
    const mk = mediaKeyOf(b);
    return {
      content: {
        type: 'template',
        header: { text: str(b.text) ?? null, media: mk ? mk.replace('Message', '') : null },
        body: str(b.contentText) ?? null,
        footer: str(b.footerText) ?? null,
        buttons: arr(b.buttons).map(buttonText).filter((x): x is string => !!x),
      },
      mediaKey: mk,
      media: mk ? obj(b[mk]) : null,
    };
  }
  if (isObj(m.interactiveMessage)) {
    const im = obj(m.interactiveMessage);
    const header = obj(im.header);
    const mk = mediaKeyOf(header);
    return {
      content: {
        type: 'template',
        header: { text: str(header.title) ?? str(header.subtitle) ?? null, media: mk ? mk.replace('Message', '') : null },
        body: str(obj(im.body).text) ?? null,
        footer: str(obj(im.footer).text) ?? null,
        buttons: arr(obj(im.nativeFlowMessage).buttons).map(buttonText).filter((x): x is string => !!x),
      },
      mediaKey: mk,
      media: mk ? obj(header[mk]) : null,
    };
  }
  if (isObj(m.listMessage)) {
    const l = obj(m.listMessage);
    const rows = arr(l.sections).flatMap((s) => arr(obj(s).rows).map((r) => str(obj(r).title))).filter((x): x is string => !!x);
    return {
      content: { type: 'template', header: { text: str(l.title) ?? null, media: null }, body: str(l.description) ?? null, footer: str(l.footerText) ?? null, buttons: [...(str(l.buttonText) ? [l.buttonText as string] : []), ...rows] },
      mediaKey: null,
      media: null,
    };
  }
  return null;
}

/** Quoted message id from any part's contextInfo (stanzaId / stanzaID). */
function quotedOf(m: Obj): string | null {
  for (const v of Object.values(m)) {
    const ci = obj(obj(v).contextInfo);
    const id = str(pick(ci, 'stanzaId', 'stanzaID', 'StanzaID'));
    if (id) return id;
  }
  return null;
}

/** Whether a message object has any part besides its context info. */
function hasContent(m: Obj): boolean {
  for (const k in m) if (k !== 'messageContextInfo' && m[k] !== undefined && m[k] !== null) return true;
  return false;
}

/** A change read from a protocol message, as the ingest's edit or revoke event (both engines, live and history). */
export function changeEvent(change: NonNullable<ProtoRead['change']>, at: Date): EngineEvent {
  return change.kind === 'edit' ? { kind: 'edit', targetId: change.targetId, body: change.body, timestamp: at } : { kind: 'revoke', targetId: change.targetId, timestamp: at };
}

const keyId = (k: unknown) => str(pick(obj(k), 'id', 'ID', 'Id'));

type ReadMore = Partial<Pick<ProtoRead, 'mimetype' | 'fileName' | 'isMedia' | 'content' | 'change' | 'isReaction' | 'isPollUpdate' | 'sealed'>>;

/**
 * One ProtoRead, written out field by field: this runs for every delivery, and V8 (Node 20) builds
 * `{ ...base, type, body }` — a spread followed by fields — on a slow path, about 2 µs each.
 */
function read(base: { quotedId: string | null; secret: string | null }, type: ProtoRead['type'], body: string | null, more: ReadMore = {}): ProtoRead {
  return {
    type, body, quotedId: base.quotedId, secret: base.secret,
    mimetype: more.mimetype ?? null, fileName: more.fileName ?? null, isMedia: more.isMedia ?? false, content: more.content ?? null,
    change: more.change, isReaction: more.isReaction, isPollUpdate: more.isPollUpdate, sealed: more.sealed,
  };
}

/** Reads a protobuf-JSON WhatsApp message (wrappers unwrapped) into the gateway's words. */
export function readProto(message: unknown): ProtoRead {
  const m = unwrap(message);
  const base = { quotedId: quotedOf(m), secret: secretOf(obj(message), m) };
  // Nothing but context (WEBJS and history rows give no protobuf): none of the kinds below can match.
  if (!hasContent(m)) return read(base, 'other', null);

  // Changes to other messages.
  if (isObj(m.protocolMessage)) {
    const p = obj(m.protocolMessage);
    const t = String(p.type ?? '').toUpperCase();
    const targetId = keyId(p.key);
    let change: ProtoRead['change'] = null;
    if (targetId && (t === 'REVOKE' || t === '0')) change = { kind: 'revoke', targetId };
    else if (targetId && (t === 'MESSAGE_EDIT' || t === '14' || isObj(p.editedMessage))) change = { kind: 'edit', targetId, body: readProto(p.editedMessage).body };
    return read(base, 'other', null, { change });
  }
  if (isObj(m.secretEncryptedMessage)) {
    // Newer phones send edits sealed with the original message's secret; the engines pass them on so.
    // The ingest opens them with the stored secret; when it cannot, the edit still marks the original
    // "edited" (body null: its text unknown).
    const s = obj(m.secretEncryptedMessage);
    const targetId = keyId(s.targetMessageKey);
    const t = String(s.secretEncType ?? '').toUpperCase();
    const isEdit = t === 'MESSAGE_EDIT' || t === '2' || t === '';
    const sealed = isEdit ? sealedPart('edit', s.targetMessageKey, s.encPayload, pick(s, 'encIv', 'encIV')) : null;
    return read(base, 'other', null, { change: targetId && isEdit ? { kind: 'edit', targetId, body: null } : null, sealed });
  }
  if (isObj(m.reactionMessage) || isObj(m.encReactionMessage)) return read(base, 'other', null, { isReaction: true });
  if (isObj(m.pollUpdateMessage)) {
    const u = obj(m.pollUpdateMessage);
    const vote = obj(u.vote);
    return read(base, 'other', null, { isPollUpdate: true, sealed: sealedPart('pollVote', u.pollCreationMessageKey, vote.encPayload, pick(vote, 'encIv', 'encIV')) });
  }

  if (typeof m.conversation === 'string') return read(base, 'text', str(m.conversation));
  if (isObj(m.extendedTextMessage)) {
    const x = obj(m.extendedTextMessage);
    const url = str(x.canonicalUrl) ?? str(x.matchedText);
    const content: MessageContent | null = url && (str(x.title) || str(x.description))
      ? { type: 'link', url, title: str(x.title) ?? null, description: str(x.description) ?? null }
      : null;
    return read(base, 'text', str(x.text), { content });
  }
  for (const [key, type] of MEDIA) {
    if (!isObj(m[key])) continue;
    const part = obj(m[key]);
    const t = type === 'audio' && bool(part.ptt) ? 'voice' : type;
    return read(base, t, str(part.caption) ?? null, { mimetype: str(part.mimetype), fileName: str(part.fileName) ?? str(part.title) ?? null, isMedia: true });
  }
  if (isObj(m.locationMessage) || isObj(m.liveLocationMessage)) {
    const l = obj(m.locationMessage ?? m.liveLocationMessage);
    const content: MessageContent = {
      type: 'location',
      latitude: coord(l.degreesLatitude),
      longitude: coord(l.degreesLongitude),
      name: str(l.name) ?? null,
      address: str(l.address) ?? null,
      url: str(l.url) ?? null,
      live: isObj(m.liveLocationMessage),
    };
    return read(base, 'location', content.name ?? content.address ?? str(l.caption) ?? null, { content });
  }
  if (isObj(m.contactMessage) || isObj(m.contactsArrayMessage)) {
    const list = isObj(m.contactMessage) ? [obj(m.contactMessage)] : arr(obj(m.contactsArrayMessage).contacts).map(obj);
    const contacts = list.map(contactOf);
    const name = str(obj(m.contactsArrayMessage).displayName) ?? contacts.map((c) => c.name).filter(Boolean).join(', ');
    return read(base, 'contact', name || null, { content: { type: 'contact', contacts } });
  }
  const poll = obj(pick(m, 'pollCreationMessage', 'pollCreationMessageV2', 'pollCreationMessageV3', 'pollCreationMessageV5'));
  if (Object.keys(poll).length) {
    const options = arr(poll.options).map((o) => str(obj(o).optionName)).filter((x): x is string => !!x);
    const n = num(poll.selectableOptionsCount) ?? 1;
    return read(base, 'poll', str(poll.name), { content: { type: 'poll', question: str(poll.name) ?? '', options, multiple: n === 0 || n > 1 } });
  }
  const tpl = templateOf(m);
  if (tpl) {
    const c = tpl.content as Extract<MessageContent, { type: 'template' }>;
    return read(base, 'template', c.body ?? c.header.text ?? null, {
      content: tpl.content,
      mimetype: tpl.media ? str(tpl.media.mimetype) : null,
      fileName: tpl.media ? str(tpl.media.fileName) : null,
      isMedia: !!tpl.media && tpl.mediaKey !== 'locationMessage',
    });
  }
  // Replies to buttons: the chosen button's text is the message.
  const reply = str(obj(m.templateButtonReplyMessage).selectedDisplayText) ?? str(obj(m.buttonsResponseMessage).selectedDisplayText) ?? str(obj(obj(m.listResponseMessage).singleSelectReply).selectedRowId);
  if (reply) return read(base, 'text', reply);
  return read(base, 'other', null);
}
