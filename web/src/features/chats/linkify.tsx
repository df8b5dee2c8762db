import type { ReactNode } from 'react';

/** Web addresses in a message: http(s) links and bare www. addresses. */
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
/** Punctuation that ends a sentence rather than the address. */
const TRAILING = /[.,;:!?)\]}'"»]+$/;

/**
 * The text with its addresses as links that open in a new tab, never telling the site where the
 * person came from nor vouching for it (`noopener noreferrer nofollow`). Only http(s) is linked.
 */
export function linkify(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = url.match(TRAILING)?.[0] ?? '';
    // A closing bracket belongs to the address when it opened one (Wikipedia-style links).
    const keep = trail.startsWith(')') && url.includes('(') ? 1 : 0;
    url = url.slice(0, url.length - trail.length + keep);
    const start = m.index!;
    if (start > last) out.push(text.slice(last, start));
    const href = url.toLowerCase().startsWith('www.') ? `https://${url}` : url;
    out.push(
      <a key={start} href={href} target="_blank" rel="noopener noreferrer nofollow">
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
