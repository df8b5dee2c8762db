// /wuzapi/admin/users: create, list, delete (plain keeps the token working), delete/full.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { newAccount } from '../state/account.js';
import { type WuzUser, clearAll } from '../state/store.js';
import { randomHex } from '../util/ids.js';
import { adminAuth, fail, ok } from './http.js';

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
    if (typeof b.name !== 'string' || !b.name || typeof b.token !== 'string' || !b.token) throw fail(400, 'missing name or token');
    if (b.hmacKey !== undefined && b.hmacKey !== '' && (typeof b.hmacKey !== 'string' || b.hmacKey.length < 32)) {
      throw fail(400, 'hmacKey must be at least 32 characters');
    }
    for (const u of ctx.store.wuzapi.values()) {
      if (u.token === b.token || (u.name === b.name && !u.deleted)) throw fail(409, 'user with that name or token already exists');
    }
    const history = typeof b.history === 'number' ? b.history : b.history === true ? 500 : 0;
    const u: WuzUser = {
      engine: 'wuzapi', id: randomHex(16), name: b.name, token: b.token, webhook: typeof b.webhook === 'string' ? b.webhook : '',
      events: parseEvents(b.events), hmacKey: typeof b.hmacKey === 'string' && b.hmacKey ? b.hmacKey : null, history: Math.max(0, history),
      connected: false, loggedIn: false, qr: null, qrDataUrl: '', pairingPhone: null, deleted: false, timers: new Set(),
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
