// What the passthrough may reach on WAHA: only its own session. Admin/server routes are refused, and
// every session slot (path segment, `session` query, `session` body field) is forced to ours.
// Unknown top-level names are treated as a session slot: a wrong guess breaks a call, never crosses sessions.
import type { ProxyRules } from '../engine.types.js';
import { isObj } from '../engine-http.js';
import { splitProxyPath } from '../proxy-path.js';

/** /api/<name> routes that are not /api/{session}/… (compared lower-case: Express routes ignore case). */
const GLOBAL = new Set([
  'sessions', 'server', 'keys', 'version', 'health', 'ping', 'apps', 'files', 'contacts', 'screenshot', 'checknumberstatus',
  'sendtext', 'sendimage', 'sendfile', 'sendvoice', 'sendvideo', 'sendbuttons', 'sendlist', 'sendlocation', 'sendcontactvcard',
  'sendpoll', 'sendpollvote', 'sendlinkpreview', 'sendlinkcustompreview', 'sendseen', 'starttyping', 'stoptyping', 'reaction',
  'star', 'reply', 'forwardmessage', 'messages', 'sendbuttonsreply', 'sendeventmessage',
]);
/** Global routes that belong to the server, not to a session. */
const ADMIN = new Set(['server', 'keys', 'version', 'health', 'apps']);

const join = (segments: string[], query: URLSearchParams) => {
  const p = `/${segments.map(encodeURIComponent).join('/')}`;
  const qs = query.toString();
  return qs ? `${p}?${qs}` : p;
};

export function wahaProxyRules(baseUrl: string, apiKey: string, session: string): ProxyRules {
  return {
    baseUrl,
    authHeaders: { 'X-Api-Key': apiKey },

    isAdminPath(method, path) {
      const { segments, unsafe } = splitProxyPath(path);
      if (unsafe || segments[0]?.toLowerCase() !== 'api' || segments.length < 2) return true; // dashboard, docs, ws…
      const top = segments[1]!.toLowerCase();
      if (ADMIN.has(top)) return true;
      if (top === 'sessions') {
        // Only reading our own account (me) passes: the session itself shows its webhook HMAC key, and
        // listing, creating, config changes, stop/logout are the gateway's to do.
        const own = segments[2] === session;
        const readOnly = method.toUpperCase() === 'GET' && segments.length === 4 && segments[3] === 'me';
        return !(own && readOnly);
      }
      return false;
    },

    forceSession(path, body) {
      const { segments, query } = splitProxyPath(path);
      let global = true;
      if (segments[0]?.toLowerCase() === 'api' && segments.length >= 2) {
        const top = segments[1]!.toLowerCase();
        if ((top === 'sessions' || top === 'files') && segments.length >= 3) {
          segments[2] = session;
          global = false;
        } else if (!GLOBAL.has(top)) {
          segments[1] = session;
          global = false;
        }
      }
      // WAHA falls back to the "default" session when none is given: global routes always get ours.
      if (global || query.has('session')) query.set('session', session);
      let out = body;
      if (isObj(body) && (global || 'session' in body)) out = { ...body, session };
      return { path: join(segments, query), body: out };
    },
  };
}
