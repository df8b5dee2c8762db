/**
 * One Intl formatter per shape, made once: `toLocaleTimeString(…, options)` builds a new one on every
 * call, which costs more than the rest of a message row's drawing (a page of messages calls it 50 times).
 */
function formatter(options: Intl.DateTimeFormatOptions) {
  let f: Intl.DateTimeFormat | null = null;
  return (d: Date) => (f ??= new Intl.DateTimeFormat(undefined, options)).format(d);
}
const hourMinute = formatter({ hour: '2-digit', minute: '2-digit' });
const weekday = formatter({ weekday: 'long' });
const shortDate = formatter({ day: '2-digit', month: '2-digit', year: 'numeric' });
const longDate = formatter({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** "14:05" today, "Yesterday", a weekday this week, else a short date — like a phone's chat list. */
export function listTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (sameDay(d, now)) return hourMinute(d);
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  if (now.getTime() - d.getTime() < 6 * 86_400_000) return weekday(d);
  return shortDate(d);
}

export const clockTime = (iso: string | null | undefined) => (iso ? hourMinute(new Date(iso)) : '');

/** The day separator's label: Today, Yesterday, or the date. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  return longDate(d);
}

export const dayKey = (iso: string) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
};

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "+49 170 1234567" from a JID or an E.164 number, for people without a name. */
export function phoneOf(jidOrPhone: string | null | undefined): string {
  if (!jidOrPhone) return '';
  const digits = jidOrPhone.split('@')[0]!.replace(/^\+/, '');
  if (!/^\d+$/.test(digits)) return jidOrPhone;
  return `+${digits}`;
}

export const initials = (name: string) =>
  name
    .replace(/[^\p{L}\p{N} ]/gu, '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('') || '#';
