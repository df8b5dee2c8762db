// /wuzapi/session/* and /wuzapi/webhook: connect, status, QR, pairing code, logout, disconnect.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { pairingCode } from '../util/ids.js';
import { parseEvents, userView } from './admin.routes.js';
import { fail, ok, userOf } from './http.js';
import { connectUser, disconnectUser, logoutUser } from './user-machine.js';

type Obj = Record<string, unknown>;

export function sessionRouter(ctx: SimContext): Router {
  const r = Router();

  // Immediate or not, the simulator answers at once (WuzAPI without Immediate waits ~10 s).
  r.post('/session/connect', (req, res) => {
    const u = userOf(res);
    const b = (req.body ?? {}) as Obj;
    connectUser(ctx, u, b.Subscribe === undefined ? null : parseEvents(b.Subscribe));
    ok(res, 200, { details: 'Connected!', events: u.events.join(','), jid: userView(u).jid, webhook: u.webhook });
  });

  r.post('/session/disconnect', (_req, res) => {
    disconnectUser(ctx, userOf(res));
    ok(res, 200, { Details: 'Disconnected' });
  });

  r.post('/session/logout', (_req, res) => {
    logoutUser(userOf(res));
    ok(res, 200, { Details: 'Logged out' });
  });

  r.get('/session/status', (_req, res) => {
    const v = userView(userOf(res));
    ok(res, 200, { id: v.id, name: v.name, connected: v.connected, loggedIn: v.loggedIn, jid: v.jid, webhook: v.webhook, events: v.events, qrcode: v.qrcode, details: '' });
  });

  r.get('/session/qr', (_req, res) => {
    const u = userOf(res);
    if (!u.connected) throw fail(500, 'not connected');
    if (u.loggedIn) throw fail(500, 'already logged in');
    ok(res, 200, { QRCode: u.qrDataUrl });
  });

  r.post('/session/pairphone', (req, res) => {
    const u = userOf(res);
    if (!u.connected) throw fail(500, 'no session');
    const phone = ((req.body ?? {}) as Obj).Phone;
    if (typeof phone !== 'string' || !phone) throw fail(400, 'missing Phone in Payload');
    if (u.loggedIn) throw fail(400, 'already paired');
    u.pairingPhone = phone.replace(/[^0-9]/g, '');
    ok(res, 200, { LinkingCode: pairingCode() });
  });

  r.post('/session/history', (req, res) => {
    const u = userOf(res);
    const h = ((req.body ?? {}) as Obj).history;
    if (typeof h !== 'number' || h < 0) throw fail(400, 'missing history in Payload');
    u.history = Math.floor(h);
    ok(res, 200, { Details: 'History setting updated', history: u.history });
  });

  r.get('/webhook', (_req, res) => {
    const u = userOf(res);
    ok(res, 200, { webhook: u.webhook, subscribe: u.events });
  });

  r.post('/webhook', (req, res) => {
    const u = userOf(res);
    const b = (req.body ?? {}) as Obj;
    const url = b.webhookURL ?? b.WebhookURL ?? b.webhook;
    if (typeof url !== 'string') throw fail(400, 'missing webhookURL in Payload');
    u.webhook = url;
    if (b.events !== undefined || b.Events !== undefined) u.events = parseEvents(b.events ?? b.Events);
    ok(res, 200, { webhook: u.webhook, events: u.events });
  });

  return r;
}
