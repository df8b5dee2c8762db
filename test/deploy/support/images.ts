// What "pinned" means for an image reference.
/** Null when the reference names a fixed release; otherwise why not. */
export function imagePinProblem(ref: unknown): string | null {
  if (typeof ref !== 'string' || !ref.trim()) return 'no image';
  if (ref.includes('${')) return `${ref}: tag must not come from a variable`;
  const [name, digest] = ref.split('@');
  if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) return null;
  const slash = name!.lastIndexOf('/');
  const colon = name!.lastIndexOf(':');
  if (colon <= slash) return `${ref}: untagged (means latest)`;
  const tag = name!.slice(colon + 1);
  if (tag === 'latest' || /^(stable|main|master|edge|nightly|dev|noweb|lts|current)$/.test(tag)) return `${ref}: moving tag "${tag}"`;
  // WAHA names its dated releases "latest-YYYY.M.N": fixed, unlike "latest".
  if (tag.startsWith('latest') && !/^latest-\d{4}\.\d+\.\d+$/.test(tag)) return `${ref}: moving tag "${tag}"`;
  if (!/\d/.test(tag)) return `${ref}: tag "${tag}" names no version`;
  if (/^\d+$/.test(tag) && !/^(postgres|redis)$/.test(name!.slice(slash + 1))) return `${ref}: major-only tag "${tag}"`;
  return null;
}
