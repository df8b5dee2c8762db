// /wuzapi/session/* and /wuzapi/webhook: connect, status, QR, pairing code, logout, disconnect.
// Source: asternic/wuzapi handlers.go (function named beside each route) at upstream commit
// 30c1805720c630b4ecfc842dd3ff63966c3ba315.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { pairingCode } from '../util/ids.js';
import { parseEvents, userView } from './admin.routes.js';
import { fail, ok, userOf } from './http.js';
import { connectUser, disconnectUser, logoutUser } from './user-machine.js';
import { WUZ_EVENT_TYPES } from './webhook-sender.js';

type Obj = Record<string, unknown>;

export function sessionRouter(ctx: SimContext): Router {
  const r = Router();

  // Connect: names outside supportedEventTypes are dropped without an error (logged only); the answer's
  // `events` says what was kept. Immediate or not, the simulator answers at once (WuzAPI without
  // Immediate waits ~10 s).
  r.post('/session/connect', (req, res) => {
    const u = userOf(res);
    const b = (req.body ?? {}) as Obj;
    const asked = b.Subscribe === undefined || b.Subscribe === null ? [] : parseEvents(b.Subscribe);
    connectUser(ctx, u, [...new Set(asked.filter((e) => WUZ_EVENT_TYPES.includes(e)))]);
    ok(res, 200, { details: 'Connected!', events: u.events.join(','), jid: userView(u).jid, webhook: u.webhook });
  });

  // Disconnect
  r.post('/session/disconnect', (_req, res) => {
    disconnectUser(ctx, userOf(res));
    ok(res, 200, { Details: 'Disconnected' });
  });

  // Logout
  r.post('/session/logout', (_req, res) => {
    logoutUser(userOf(res));
    ok(res, 200, { Details: 'Logged out' });
  });

  // GetStatus: `id` is the user's id (the key of the history index); `history` is a string there.
  r.get('/session/status', (_req, res) => {
    const v = userView(userOf(res));
    ok(res, 200, { id: v.id, name: v.name, connected: v.connected, loggedIn: v.loggedIn, token: v.token, jid: v.jid, webhook: v.webhook, events: v.events, qrcode: v.qrcode, history: String(v.history), hmac_configured: v.hmac_configured });
  });

  // GetQR
  r.get('/session/qr', (_req, res) => {
    const u = userOf(res);
    if (!u.connected) throw fail(500, 'not connected');
    if (u.loggedIn) throw fail(500, 'already logged in');
    ok(res, 200, { QRCode: u.qrDataUrl });
  });

  // PairPhone
  r.post('/session/pairphone', (req, res) => {
    const u = userOf(res);
    if (!u.connected) throw fail(500, 'no session');
    const phone = ((req.body ?? {}) as Obj).Phone;
    if (typeof phone !== 'string' || !phone) throw fail(400, 'missing Phone in Payload');
    if (u.loggedIn) throw fail(400, 'already paired');
    u.pairingPhone = phone.replace(/[^0-9]/g, '');
    ok(res, 200, { LinkingCode: pairingCode() });
  });

  // SetHistory
  r.post('/session/history', (req, res) => {
    const u = userOf(res);
    if (!u.connected) throw fail(400, 'no session');
    const h = ((req.body ?? {}) as Obj).history;
    if (h !== undefined && typeof h !== 'number') throw fail(400, 'could not decode payload');
    if (typeof h === 'number' && h < 0) throw fail(400, 'history cannot be negative');
    u.history = Math.floor(h ?? 0);
    ok(res, 200, { Details: 'History configured successfully', History: u.history });
  });

  // GetWebhook
  r.get('/webhook', (_req, res) => {
    const u = userOf(res);
    ok(res, 200, { webhook: u.webhook, subscribe: u.events });
  });

  // SetWebhook {webhookurl, events?}: Go matches JSON keys case-insensitively; unknown events dropped.
  r.post('/webhook', (req, res) => {
    const u = userOf(res);
    const b = (req.body ?? {}) as Obj;
    const field = (name: string) => Object.entries(b).find(([k]) => k.toLowerCase() === name)?.[1];
    const url = field('webhookurl');
    const events = field('events');
    if ((url !== undefined && typeof url !== 'string') || (events !== undefined && !Array.isArray(events))) throw fail(400, 'could not decode payload');
    u.webhook = typeof url === 'string' ? url : '';
    if (Array.isArray(events) && events.length) u.events = parseEvents(events).filter((e) => WUZ_EVENT_TYPES.includes(e));
    ok(res, 200, { webhook: u.webhook });
  });

  return r;
}
