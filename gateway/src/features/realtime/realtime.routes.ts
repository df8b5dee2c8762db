import { Router } from 'express';
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { AppError } from '../../platform/errors.js';
import { errorContent } from '../../platform/http/api.js';
import { EVENT_TYPES, realtimeControl, realtimeEvent } from './realtime.schemas.js';

const PROTOCOL = `WebSocket upgrade for live events (the upgrade itself is handled beside Express).

**Authenticate** with the subprotocols \`bearer\` and the access token: \`new WebSocket(url, ['bearer', token])\`; the server answers with the \`bearer\` subprotocol. Otherwise send \`{"type":"auth","token":"…"}\` as the first message within 5 s (WS_AUTH_TIMEOUT_MS). A missing, late or invalid token closes the socket with **4401**, and so does the token's expiry (refresh it, reconnect and resume: nothing is missed). Tokens are never read from the query string.

Once authenticated the server sends \`{"type":"ready","data":{"userId","seq"}}\`.

**Resume**: send \`{"type":"resume","since":<last seq seen>}\` right after \`ready\` (within 300 ms, live events are held for it): every event after \`since\` that you may see is sent in order, then the live stream continues without gap or duplicate. If \`since\` is older than the retention (EVENTS_RETENTION_HOURS, default 24), the answer is \`{"seq":<n>,"type":"resync","data":{}}\`: refetch, then keep \`n\` as the last seq.

**Events**: \`{"seq","type","data"}\` with \`type\` one of ${EVENT_TYPES.join(', ')} (the \`RealtimeEvent\` schema: each type with its \`data\`); \`seq\` increases. Each event reaches only users allowed to see it at the moment it is sent (device owner and members; chat share grantees; contacts: the org).

**Liveness**: the server pings every WS_HEARTBEAT_MS and drops sockets that do not answer; \`{"type":"ping"}\` gets \`{"type":"pong"}\`. A socket whose unsent data exceeds WS_MAX_BUFFER_BYTES is closed with **1013** (reconnect and resume). Shutdown closes with 1001.`;

/** Documents /ws and answers plain HTTP requests to it (426: upgrade required). */
export function realtimeRoutes(registry: OpenAPIRegistry): Router {
  registry.registerPath({
    method: 'get',
    path: '/ws',
    summary: 'Live events over WebSocket (auth by bearer subprotocol or first message; resume with the last seq)',
    description: PROTOCOL,
    tags: ['real time'],
    request: {
      headers: z.object({
        upgrade: z.literal('websocket'),
        'sec-websocket-protocol': z.string().optional().describe('`bearer, <access token>`'),
      }),
    },
    responses: {
      // z.lazy keeps the two named unions as references (a union of unions would be flattened into one).
      101: { description: 'Switching protocols; then event frames (RealtimeEvent) and answers on the socket (RealtimeControl)', content: { 'application/json': { schema: z.union([z.lazy(() => realtimeEvent), z.lazy(() => realtimeControl)]) } } },
      426: { description: 'Not a WebSocket upgrade', ...errorContent },
    },
  });
  const r = Router();
  r.get('/ws', () => {
    throw new AppError('upgrade_required', 426, 'GET /ws is a WebSocket endpoint: open it with a WebSocket client', undefined, { Upgrade: 'websocket' });
  });
  return r;
}
