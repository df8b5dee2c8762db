import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** Lower-case ULID (26 chars: 10 time + 16 random), as WAHA uses after `evt_`. */
export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[rnd[i]! % 32];
  return time + rand;
}

let seq = 0;
const prefix = randomBytes(4).toString('hex').toUpperCase();
/** WhatsApp-style message id (whatsmeow: "3EB0" + 18 upper-case hex); unique within the process. */
export function waMessageId(): string {
  seq = (seq + 1) % 0xffffffffff;
  return `3EB0${prefix}${seq.toString(16).toUpperCase().padStart(10, '0')}`;
}

/** A QR payload shaped like WhatsApp's ("2@<ref>,<noise key>,<identity key>,<adv secret>"). */
export function qrText(): string {
  const b = (n: number) => randomBytes(n).toString('base64');
  return `2@${b(48)},${b(32)},${b(32)},${b(32)}`;
}

/** Pairing code "ABCD-EFGH" (WhatsApp's alphabet without look-alikes). */
export function pairingCode(): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
  const r = randomBytes(8);
  const chars = [...r].map((x) => alphabet[x % alphabet.length]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** A stable 15-digit LID for a phone number, so every run maps the same way. */
export function lidForPhone(phone: string): string {
  const h = createHash('sha256').update(`lid:${phone}`).digest();
  return (BigInt(`0x${h.subarray(0, 8).toString('hex')}`) % 900000000000000n + 100000000000000n).toString();
}

export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A phone number for a device that scans without giving one. */
export function randomPhone(): string {
  const r = randomBytes(4).readUInt32BE(0) % 10_000_000;
  return `1555${r.toString().padStart(7, '0')}`;
}
