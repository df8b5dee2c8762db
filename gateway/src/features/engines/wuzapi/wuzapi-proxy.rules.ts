// What the passthrough may reach on WuzAPI: the user token selects the session, so no path carries
// one. Admin routes are refused, and so are the user's webhook/HMAC settings (they would take its
// webhooks away from the gateway).
import type { ProxyRules } from '../engine.types.js';
import { splitProxyPath } from '../proxy-path.js';

/** Lower-cased segments: WuzAPI's routes ignore case, so its admin checks must too. */
function segmentsOf(path: string): { segments: string[]; unsafe: boolean } {
  const { segments, unsafe } = splitProxyPath(path);
  return { segments: segments.map((x) => x.toLowerCase()), unsafe };
}

export function wuzapiProxyRules(baseUrl: string, token: string): ProxyRules {
  return {
    baseUrl,
    authHeaders: { Token: token },
    isAdminPath(method, path) {
      const { segments, unsafe } = segmentsOf(path);
      if (unsafe || segments.length === 0) return true;
      if (segments[0] === 'admin') return true;
      const readOnly = method.toUpperCase() === 'GET';
      if (segments[0] === 'webhook' && !readOnly) return true;
      if (segments[0] === 'session' && segments[1] === 'hmac' && !readOnly) return true;
      return false;
    },
    // The Token header (added by the gateway) selects the user; a `token` query must not override it.
    forceSession(path, body) {
      const q = path.indexOf('?');
      if (q < 0) return { path, body };
      const query = new URLSearchParams(path.slice(q + 1));
      for (const k of [...query.keys()]) if (k.toLowerCase() === 'token') query.delete(k);
      const qs = query.toString();
      return { path: qs ? `${path.slice(0, q)}?${qs}` : path.slice(0, q), body };
    },
  };
}
