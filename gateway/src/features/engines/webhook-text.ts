// Free text from engines goes into PostgreSQL, which refuses NUL in text and jsonb and lone UTF-16
// surrogates in jsonb. A signed delivery carrying them is still answered 2xx (engines retry anything
// else forever): the characters are stripped here, once, right after the body is parsed.

// Raw JSON text that may hold either: a \u0000 or \uD800–\uDFFF escape, or a raw NUL byte.
const MAYBE_POISON = /\\u0000|\\u[dD][89abAB]|\\u[dD][c-fC-F]|\u0000/;
// eslint-disable-next-line no-control-regex
const POISON = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The string without NUL and lone surrogates. */
export const cleanText = (s: string): string => s.replace(POISON, '');

/**
 * Parses JSON text and strips NUL and lone surrogates from every string (keys too); the walk only
 * runs when the text may hold one, so clean deliveries pay one regex test. `poisoned` says whether
 * anything was stripped.
 */
export function parseCleanJson(text: string): { value: unknown; poisoned: boolean } {
  const value: unknown = JSON.parse(text);
  if (!MAYBE_POISON.test(text)) return { value, poisoned: false };
  let poisoned = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const c = cleanText(v);
      if (c !== v) poisoned = true;
      return c;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty: a "__proto__" key stays a plain key.
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, walk(k) as string, { value: walk(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return { value: walk(value), poisoned };
}
