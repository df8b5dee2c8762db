import { initials } from './format';

const COLORS = ['#00a884', '#53bdeb', '#ff8f6b', '#a78bfa', '#f59e0b', '#10b981', '#ef4444', '#3b82f6'];

function hue(s: string) {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return COLORS[Math.abs(h) % COLORS.length];
}

/** A round badge with initials; decorative, the name is always written next to it. */
export function Avatar({ name, size = 40 }: { name: string; size?: number }) {
  return (
    <span className="avatar" aria-hidden="true" style={{ width: size, height: size, background: hue(name), fontSize: size * 0.4 }}>
      {initials(name)}
    </span>
  );
}
