// Canonical JIDs (see engine.types.ts): people <digits>@s.whatsapp.net, groups <id>@g.us, hidden <id>@lid.
// Engines add device suffixes ("1555:12@s.whatsapp.net") and WAHA spells people "@c.us": both go away here.

const PERSON = 's.whatsapp.net';

/** The user part without a device suffix (":12"). */
function userPart(v: string): string {
  const at = v.indexOf('@');
  const user = at < 0 ? v : v.slice(0, at);
  const colon = user.indexOf(':');
  return colon < 0 ? user : user.slice(0, colon);
}

/** Digits of a phone number or of a JID's user part ("+1 555…", "1555@c.us", "1555:12@s.whatsapp.net"). */
export function digitsOf(v: string): string {
  return userPart(v.trim()).replace(/[^0-9]/g, '');
}

/**
 * Any JID or phone an engine or a caller gives → canonical form; null when it cannot be one.
 * Unknown servers (newsletter, broadcast) are kept as given, minus a device suffix.
 */
export function toCanonical(v: string | null | undefined): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (!s) return null;
  const at = s.lastIndexOf('@');
  if (at < 0) {
    const d = s.replace(/[^0-9]/g, '');
    return d.length >= 5 && /^[+0-9\s().-]+$/.test(s) ? `${d}@${PERSON}` : null;
  }
  const server = s.slice(at + 1).toLowerCase();
  const user = s.slice(0, at);
  if (!user) return null;
  switch (server) {
    case 'c.us':
    case 's.whatsapp.net': {
      const d = digitsOf(user);
      return d ? `${d}@${PERSON}` : null;
    }
    case 'lid':
      return `${user.split(':')[0]}@lid`;
    case 'g.us':
      return `${user}@g.us`;
    default:
      return `${server === 'broadcast' ? user : user.split(':')[0]}@${server}`;
  }
}

export const isGroup = (jid: string | null | undefined): boolean => typeof jid === 'string' && jid.endsWith('@g.us');
export const isLid = (jid: string | null | undefined): boolean => typeof jid === 'string' && jid.endsWith('@lid');
export const isPerson = (jid: string | null | undefined): boolean =>
  typeof jid === 'string' && (jid.endsWith(`@${PERSON}`) || jid.endsWith('@c.us'));

/** Canonical → WAHA chat id (people as <digits>@c.us; groups, LIDs and the rest unchanged). */
export function toWaha(jid: string): string {
  const c = toCanonical(jid) ?? jid;
  return c.endsWith(`@${PERSON}`) ? `${digitsOf(c)}@c.us` : c;
}

/** Canonical → WuzAPI JID (people as <digits>@s.whatsapp.net, which is already canonical). */
export function toWuzapi(jid: string): string {
  return toCanonical(jid) ?? jid;
}

/** E.164 of a canonical person JID (`<digits>@s.whatsapp.net` → `+<digits>`); null for groups and LIDs. */
export function phoneOfJid(jid: string | null | undefined): string | null {
  const m = jid ? /^(\d{6,15})@s\.whatsapp\.net$/.exec(jid) : null;
  return m ? `+${m[1]}` : null;
}
