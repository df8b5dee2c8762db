import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

/**
 * Text the database cannot hold, refused at the edge so no statement ever runs with it: PostgreSQL
 * rejects NUL in text (22021) and lone UTF-16 surrogates cannot be encoded as UTF-8 (22P05).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** No API input nests deeper than this; deeper JSON is refused rather than walked. */
export const MAX_DEPTH = 64;

export type Where = 'path' | 'query' | 'body';

const invalid = (where: Where, field: string, message: string) =>
  new AppError('validation_failed', 400, `Invalid ${where}: ${field || where} ${message}`, [{ in: where, field, message }]);

/**
 * Throws a 400 naming the first string (key or value) in `value` that the database cannot store, or
 * the place where it nests deeper than MAX_DEPTH. Iterative, so a deep value cannot overflow the stack.
 */
export function assertCleanInput(value: unknown, where: Where, prefix = ''): void {
  const stack: Array<[unknown, string, number]> = [[value, prefix, 0]];
  while (stack.length) {
    const [v, field, depth] = stack.pop()!;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) throw invalid(where, field, p);
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) throw invalid(where, field, `nests deeper than ${MAX_DEPTH} levels`);
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      for (const [k, x] of entries) {
        const name = field ? `${field}.${k}` : k;
        const kp = textProblem(k);
        if (kp) throw invalid(where, name, `(a key) ${kp}`);
        stack.push([x, name, depth + 1]);
      }
    }
  }
}

function decodeStrict(s: string, where: Where, field: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new AppError('invalid_escape', 400, `Invalid ${where}: ${field} has a malformed percent-escape`, [
      { in: where, field, message: 'malformed percent-escape (a % must be followed by two hex digits of valid UTF-8)' },
    ]);
  }
}

/**
 * Before routing: every percent-escape of the path and query string must decode (else Express would
 * fail deep inside the router), and no decoded part may hold text the database cannot store.
 * Query values are named by their key, path parts by their position.
 */
export const urlGuard: RequestHandler = (req, _res, next) => {
  const url = req.url;
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  // Only what can hold escapes or odd characters is looked at: most URLs pass on the first test.
  if (/[%\u0000\uD800-\uDFFF]/.test(pathPart)) {
    const segments = pathPart.split('/');
    for (let i = 1; i < segments.length; i++) {
      const field = `segment ${i} (${segments[i]!.slice(0, 40)})`;
      const p = textProblem(decodeStrict(segments[i]!, 'path', field));
      if (p) throw invalid('path', field, p);
    }
  }
  if (q >= 0) {
    const query = url.slice(q + 1);
    if (/[%\u0000\uD800-\uDFFF]/.test(query)) {
      for (const pair of query.split('&')) {
        const eq = pair.indexOf('=');
        const rawKey = eq < 0 ? pair : pair.slice(0, eq);
        const key = decodeStrict(rawKey.replace(/\+/g, ' '), 'query', rawKey.slice(0, 40));
        const kp = textProblem(key);
        if (kp) throw invalid('query', key.replace(/\u0000/g, '\\0'), `(a key) ${kp}`);
        if (eq >= 0) {
          const p = textProblem(decodeStrict(pair.slice(eq + 1).replace(/\+/g, ' '), 'query', key));
          if (p) throw invalid('query', key, p);
        }
      }
    }
  }
  next();
};

/** After the body parsers: the parsed body (JSON, form) holds only storable text and is not absurdly deep. */
export const bodyGuard: RequestHandler = (req, _res, next) => {
  if (req.body !== undefined && req.body !== null && typeof req.body === 'object') assertCleanInput(req.body, 'body');
  else if (typeof req.body === 'string') assertCleanInput(req.body, 'body');
  next();
};
