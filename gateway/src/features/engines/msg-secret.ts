// WhatsApp's "message secret" scheme, as whatsmeow implements it (tulir/whatsmeow msgsecret.go:
// generateMsgSecretKey, decryptMsgSecret). A message carries a random 32-byte
// `messageContextInfo.messageSecret`; later changes to it — an edit from a newer phone
// (secretEncryptedMessage, "Message Edit"), a poll vote (pollUpdateMessage, "Poll Vote") — travel
// sealed with a key derived from that secret, and the engines pass them on sealed:
//   key = HKDF-SHA256(ikm = secret, salt = none, info = origId + origSender + modSender + useCase, 32)
//   AES-256-GCM(key, iv = encIv, aad = "origId\0modSender" for poll votes, none for edits)
// JIDs are in their non-device form (ToNonAD): "<user>@s.whatsapp.net" or "<user>@lid".
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { isObj, type Obj } from './engine-http.js';

export const SECRET_USE = { edit: 'Message Edit', pollVote: 'Poll Vote' } as const;
export type SecretUse = keyof typeof SECRET_USE;

/** The derived key and additional data (generateMsgSecretKey). */
export function msgSecretKey(use: SecretUse, modSender: string, origId: string, origSender: string, secret: Buffer): { key: Buffer; aad: Buffer | null } {
  const type = SECRET_USE[use];
  const info = Buffer.from(`${origId}${origSender}${modSender}${type}`, 'utf8');
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const aad = use === 'pollVote' ? Buffer.from(`${origId}\0${modSender}`, 'utf8') : null;
  return { key, aad };
}

/** AES-256-GCM open (Go's gcm.Open: the 16-byte tag ends the ciphertext); null when it does not authenticate. */
export function openGcm(key: Buffer, iv: Buffer, sealed: Buffer, aad: Buffer | null): Buffer | null {
  if (sealed.length < 16 || iv.length === 0) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    if (aad) d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

/**
 * Tries every (original sender, modification sender) pair: whatsmeow itself retries with the sender it
 * stored the secret under, because phones mid-way through the LID migration name either form.
 */
export function openSealed(o: { use: SecretUse; origId: string; origSenders: string[]; modSenders: string[]; secret: Buffer; iv: Buffer; payload: Buffer }): Buffer | null {
  const uniq = (xs: string[]) => [...new Set(xs.filter(Boolean))];
  for (const orig of uniq(o.origSenders)) {
    for (const mod of uniq(o.modSenders)) {
      const { key, aad } = msgSecretKey(o.use, mod, o.origId, orig, o.secret);
      const plain = openGcm(key, o.iv, o.payload, aad);
      if (plain) return plain;
    }
  }
  return null;
}

/**
 * Bytes as the engines put them in JSON: Go's encoding/json (WuzAPI) gives standard base64; Baileys
 * (WAHA NOWEB `_data`) gives a Buffer's JSON ({type: 'Buffer', data: [..]}), a Uint8Array's
 * ({"0": .., "1": ..}), or base64 when the message went through protobufjs' toJSON.
 */
export function bytesOf(v: unknown): Buffer | null {
  if (typeof v === 'string') {
    if (!v || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return null;
    const b = Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
    return b.length ? b : null;
  }
  const byteArray = (xs: unknown[]) => (xs.length && xs.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 256) ? Buffer.from(xs as number[]) : null);
  if (Array.isArray(v)) return byteArray(v);
  if (isObj(v)) {
    const o = v as Obj;
    if (o.type === 'Buffer' && Array.isArray(o.data)) return byteArray(o.data);
    const keys = Object.keys(o);
    if (keys.length && keys.every((k, i) => k === String(i))) return byteArray(keys.map((k) => o[k]));
  }
  return null;
}

// ---------- the few protobuf fields the sealed plaintexts need ----------

type Fields = Map<number, (Buffer | bigint)[]>;

/** Decodes one protobuf message level: field number → values (bytes for length-delimited, varints as bigint). */
function fieldsOf(buf: Buffer): Fields | null {
  const out: Fields = new Map();
  let i = 0;
  const varint = (): bigint | null => {
    let x = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= buf.length) return null;
      const b = buf[i++]!;
      x |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return x;
    }
    return null;
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag === null) return null;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let value: Buffer | bigint;
    if (wire === 0) {
      const v = varint();
      if (v === null) return null;
      value = v;
    } else if (wire === 2) {
      const len = varint();
      if (len === null || i + Number(len) > buf.length) return null;
      value = buf.subarray(i, i + Number(len));
      i += Number(len);
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      if (i > buf.length) return null;
      continue;
    } else return null;
    if (field === 0) return null;
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const bytesField = (f: Fields | null, n: number): Buffer | null => {
  const v = f?.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : null;
};
const textField = (f: Fields | null, n: number): string | null => bytesField(f, n)?.toString('utf8') ?? null;

/**
 * The text of a decrypted edit, a waE2E.Message (WAWebProtobufsE2E.proto): conversation = 1,
 * extendedTextMessage = 6 {text = 1}, imageMessage = 3 {caption = 3}, videoMessage = 9 {caption = 7},
 * documentMessage = 7 {caption = 20}; wrapped edits: protocolMessage = 12 {editedMessage = 14},
 * editedMessage = 58 / documentWithCaptionMessage = 53 {message = 1}. Undefined when it is not a message.
 */
export function editTextOf(plain: Buffer, depth = 0): string | null | undefined {
  const m = fieldsOf(plain);
  if (!m) return undefined;
  const text = textField(m, 1) ?? textField(fieldsOf(bytesField(m, 6) ?? Buffer.alloc(0)), 1);
  if (text !== null) return text;
  for (const [part, caption] of [[3, 3], [9, 7], [7, 20]] as const) {
    const p = bytesField(m, part);
    if (p) return textField(fieldsOf(p), caption);
  }
  if (depth < 3) {
    const inner = bytesField(fieldsOf(bytesField(m, 12) ?? Buffer.alloc(0)), 14) ?? bytesField(fieldsOf(bytesField(m, 58) ?? bytesField(m, 53) ?? Buffer.alloc(0)), 1);
    if (inner) return editTextOf(inner, depth + 1);
  }
  return null;
}

/** PollVoteMessage {repeated bytes selectedOptions = 1}: each a SHA-256 of the option's name. */
export function pollVoteHashes(plain: Buffer): Buffer[] | null {
  const m = fieldsOf(plain);
  if (!m) return null;
  return (m.get(1) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));
}

/** The options a vote's hashes name (whatsmeow HashPollOptions: SHA-256 of each option's name). */
export function optionsOfHashes(options: string[], hashes: Buffer[]): string[] {
  const wanted = new Set(hashes.map((h) => h.toString('hex')));
  return options.filter((o) => wanted.has(createHash('sha256').update(o, 'utf8').digest('hex')));
}
