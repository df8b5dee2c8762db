// /wuzapi/admin/users: create, list, delete (plain keeps the token working), delete/full.
// Source: asternic/wuzapi handlers.go AddUser, ListUsers, DeleteUser, DeleteUserComplete at upstream
// commit 30c1805720c630b4ecfc842dd3ff63966c3ba315.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { newAccount } from '../state/account.js';
import { type WuzUser, clearAll } from '../state/store.js';
import { randomHex } from '../util/ids.js';
import { adminAuth, fail, ok } from './http.js';
import { SimError } from '../context.js';
import { WUZ_EVENT_TYPES } from './webhook-sender.js';

type Obj = Record<string, unknown>;

export const parseEvents = (v: unknown): string[] =>
  (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((s) => s.trim()).filter(Boolean);

export const userView = (u: WuzUser) => ({
  id: u.id,
  name: u.name,
  token: u.token,
  webhook: u.webhook,
  events: u.events.join(','),
  jid: u.loggedIn && u.account.phone ? `${u.account.phone}:12@s.whatsapp.net` : '',
  qrcode: u.qrDataUrl,
  connected: u.connected,
  loggedIn: u.loggedIn,
  expiration: 0,
  history: u.history,
  hmac_configured: u.hmacKey !== null,
});

export function adminRouter(ctx: SimContext): Router {
  const r = Router();
  r.use('/admin', adminAuth(ctx));

  r.post('/admin/users', (req, res) => {
    const b = (req.body ?? {}) as Obj;
    // Go decodes into typed fields: events is a comma-separated string, history an int.
    const typed = (v: unknown, t: string) => v === undefined || v === null || typeof v === t;
    if (!typed(b.name, 'string') || !typed(b.token, 'string') || !typed(b.events, 'string') || !typed(b.history, 'number') || !typed(b.hmacKey, 'string') || !typed(b.webhook, 'string')) {
      throw fail(400, 'invalid request payload');
    }
    if (typeof b.name !== 'string' || !b.name || typeof b.token !== 'string' || !b.token) throw fail(400, 'missing name or token');
    if (typeof b.hmacKey === 'string' && b.hmacKey !== '' && b.hmacKey.length < 32) throw fail(400, 'HMAC key must be at least 32 characters long');
    // AddUser: 409 only for a token already in use (names are not unique), then each event name must
    // be one of supportedEventTypes: 400 {error: "invalid event type", details: "invalid event: X"}.
    for (const u of ctx.store.wuzapi.values()) {
      if (u.token === b.token) throw fail(409, 'user with this token already exists');
    }
    for (const e of parseEvents(b.events)) {
      if (!WUZ_EVENT_TYPES.includes(e)) throw new SimError(400, 'invalid event type', { details: `invalid event: ${e}` });
    }
    const history = typeof b.history === 'number' ? b.history : 0;
    const u: WuzUser = {
      engine: 'wuzapi', id: randomHex(16), name: b.name, token: b.token, webhook: typeof b.webhook === 'string' ? b.webhook : '',
      events: parseEvents(b.events), hmacKey: typeof b.hmacKey === 'string' && b.hmacKey ? b.hmacKey : null, history: Math.max(0, history),
      connected: false, loggedIn: false, qr: null, qrDataUrl: '', pairingPhone: null, deleted: false, timers: new Set(), saved: new Map(), savedIds: new Set(),
      account: newAccount(`Sim ${b.name}`), createdAt: Date.now(),
    };
    ctx.store.wuzapi.set(u.id, u);
    ok(res, 201, userView(u));
  });

  r.get('/admin/users', (_req, res) => {
    ok(res, 200, [...ctx.store.wuzapi.values()].filter((u) => !u.deleted).map(userView));
  });

  r.get('/admin/users/:id', (req, res) => {
    const u = ctx.store.wuzapi.get(req.params.id);
    if (!u || u.deleted) throw fail(404, 'user not found');
    ok(res, 200, [userView(u)]);
  });

  r.delete('/admin/users/:id', (req, res) => {
    const u = ctx.store.wuzapi.get(req.params.id);
    if (!u || u.deleted) throw fail(404, 'user not found');
    u.deleted = true;
    ok(res, 200, { id: u.id });
  });

  r.delete('/admin/users/:id/full', (req, res) => {
    const u = ctx.store.wuzapi.get(req.params.id);
    if (!u) throw fail(404, 'user not found');
    clearAll(u.timers);
    ctx.store.wuzapi.delete(u.id);
    ok(res, 200, { id: u.id, name: u.name, details: 'user instance removed completely' });
  });

  return r;
}
