// The sending side of WhatsApp's message-secret scheme, written for the test double from whatsmeow
// (tulir/whatsmeow msgsecret.go at 33cfac5116293e4cb86f8e4099e8eaf6de7ebc08):
//   encryptMsgSecret → generateMsgSecretKey(useCase, ownID, origMsgID, origSender, secret):
//     useCaseSecret = origMsgID + origSender.ToNonAD() + modificationSender.ToNonAD() + useCase
//     secretKey     = hkdfutil.SHA256(secret, nil, useCaseSecret, 32)
//     additionalData = "origMsgID\x00modificationSender" for "Poll Vote" (and "Event Response"), else nil
//   gcmutil.Encrypt(secretKey, iv, plaintext, additionalData) = AES-256-GCM Seal (ciphertext ‖ 16-byte tag)
//   BuildPollVote: PollVoteMessage{SelectedOptions: SHA-256 of each option name}.
// Deliberately shares no code with the gateway's msg-secret.ts: HKDF here is RFC 5869 spelled out
// with HMAC, and the fixed vector in sealed-changes.test.ts is checked again with WebCrypto.
import { createCipheriv, createHash, createHmac } from 'node:crypto';

export type UseCase = 'Message Edit' | 'Poll Vote';

/** RFC 5869 HKDF-SHA256, extract (zero salt when none, as Go's hkdf.New with a nil salt) then expand. */
export function hkdfSha256(ikm: Buffer, info: Buffer, length: number): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest();
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    prev = createHmac('sha256', prk).update(Buffer.concat([prev, info, Buffer.from([i])])).digest();
    out.push(prev);
  }
  return Buffer.concat(out).subarray(0, length);
}

export function sealLikeWhatsmeow(o: { use: UseCase; secret: Buffer; origId: string; origSender: string; modSender: string; plaintext: Buffer; iv: Buffer }): Buffer {
  const key = hkdfSha256(o.secret, Buffer.from(o.origId + o.origSender + o.modSender + o.use, 'utf8'), 32);
  const c = createCipheriv('aes-256-gcm', key, o.iv);
  if (o.use === 'Poll Vote') c.setAAD(Buffer.from(`${o.origId}\x00${o.modSender}`, 'utf8'));
  return Buffer.concat([c.update(o.plaintext), c.final(), c.getAuthTag()]);
}

// ---------- protobuf, the few fields the plaintexts hold (WAWebProtobufsE2E.proto) ----------

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const bytesField = (field: number, b: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);

/** Message{conversation = 1} or Message{extendedTextMessage = 6 {text = 1}}. */
export const editPlaintext = (text: string, extended = false) =>
  extended ? bytesField(6, bytesField(1, Buffer.from(text, 'utf8'))) : bytesField(1, Buffer.from(text, 'utf8'));

/** PollVoteMessage{repeated bytes selectedOptions = 1}, each the SHA-256 of an option name (HashPollOptions). */
export const pollVotePlaintext = (options: string[]) => Buffer.concat(options.map((o) => bytesField(1, createHash('sha256').update(o, 'utf8').digest())));
