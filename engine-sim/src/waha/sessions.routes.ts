// Source of each route: its path in WAHA's OpenAPI document 2026.7.1 (shared/contracts/waha-openapi-2026.7.1.json),
// the same path as the route string below; answers are checked against it in test/waha-contract.test.ts.
// /api/sessions: create, list, read, update, delete, start/stop/restart/logout, me.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import { newAccount } from '../state/account.js';
import { type WahaSession, type WahaWebhookConfig, clearAll } from '../state/store.js';
import { randomHex } from '../util/ids.js';
import { meInfo } from './format.js';
import { badRequest, getSession } from './http.js';
import { isRunning, logoutSession, startSession, stopSession } from './session-machine.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

function parseWebhook(raw: unknown, i: number): WahaWebhookConfig {
  const w = obj(raw);
  if (typeof w.url !== 'string' || !Array.isArray(w.events)) throw badRequest([`config.webhooks.${i}.url and events are required`]);
  const hmac = obj(w.hmac);
  return {
    url: w.url,
    events: w.events.map(String),
    hmac: typeof hmac.key === 'string' && hmac.key ? { key: hmac.key } : null,
    retries: w.retries ?? null,
    customHeaders: Array.isArray(w.customHeaders)
      ? w.customHeaders.map((h) => ({ name: String(obj(h).name ?? ''), value: String(obj(h).value ?? '') }))
      : null,
  };
}

export function parseSessionConfig(raw: unknown): WahaSession['config'] {
  const c = obj(raw);
  const store = obj(obj(c.noweb).store);
  return {
    ...c,
    metadata: c.metadata && typeof c.metadata === 'object' ? (c.metadata as Record<string, string>) : null,
    webhooks: Array.isArray(c.webhooks) ? c.webhooks.map(parseWebhook) : [],
    noweb: { markOnline: true, ...obj(c.noweb), store: { enabled: store.enabled === true, fullSync: store.fullSync === true } },
  };
}

export const sessionInfo = (s: WahaSession) => ({
  name: s.name,
  status: s.status,
  config: s.config,
  me: meInfo(s),
  assignedWorker: null,
  presence: null,
  timestamps: { activity: s.statuses.at(-1)?.timestamp ?? null },
});
const sessionDto = (s: WahaSession) => ({ name: s.name, status: s.status, config: s.config });

export function sessionsRouter(ctx: SimContext): Router {
  const r = Router();

  r.post('/sessions', (req, res) => {
    const body = obj(req.body);
    const name = body.name === undefined ? `session_${randomHex(4)}` : body.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw badRequest(['name must be a string of letters, digits, _ . -']);
    if (body.start !== undefined && typeof body.start !== 'boolean') throw badRequest(['start must be a boolean value']);
    if (ctx.store.waha.has(name)) {
      throw new SimError(422, 'Unprocessable Entity', { message: `Session '${name}' already exists. Use PUT to update it.` });
    }
    const s: WahaSession = {
      engine: 'waha', name, status: 'STOPPED', statuses: [], config: parseSessionConfig(body.config), qr: null,
      pairingPhone: null, timers: new Set(), account: newAccount(`Sim ${name}`), createdAt: Date.now(),
    };
    ctx.store.waha.set(name, s);
    if (body.start !== false) startSession(ctx, s);
    res.status(201).json(sessionInfo(s));
  });

  r.get('/sessions', (req, res) => {
    const all = req.query.all === 'true' || req.query.all === '1';
    const list = [...ctx.store.waha.values()].filter((s) => all || s.status !== 'STOPPED');
    res.json(list.map(sessionInfo));
  });

  r.get('/sessions/:session', (req, res) => {
    res.json(sessionInfo(getSession(ctx, req.params.session)));
  });

  r.put('/sessions/:session', (req, res) => {
    const s = getSession(ctx, req.params.session);
    const body = obj(req.body);
    if (body.config !== undefined) s.config = parseSessionConfig(body.config);
    if (isRunning(s)) startSession(ctx, s); // WAHA restarts a running session to apply its config
    res.json(sessionDto(s));
  });

  r.delete('/sessions/:session', (req, res) => {
    const s = getSession(ctx, req.params.session);
    clearAll(s.timers);
    ctx.store.waha.delete(s.name);
    res.status(200).end();
  });

  r.get('/sessions/:session/me', (req, res) => {
    res.json(meInfo(getSession(ctx, req.params.session)));
  });

  // Starting a running session is accepted as a no-op (keeps its status).
  r.post('/sessions/:session/start', (req, res) => {
    const s = getSession(ctx, req.params.session);
    if (!isRunning(s)) startSession(ctx, s);
    res.status(201).json(sessionDto(s));
  });

  r.post('/sessions/:session/stop', (req, res) => {
    const s = getSession(ctx, req.params.session);
    stopSession(ctx, s);
    res.status(201).json(sessionDto(s));
  });

  r.post('/sessions/:session/restart', (req, res) => {
    const s = getSession(ctx, req.params.session);
    stopSession(ctx, s);
    startSession(ctx, s);
    res.status(201).json(sessionDto(s));
  });

  r.post('/sessions/:session/logout', (req, res) => {
    const s = getSession(ctx, req.params.session);
    logoutSession(ctx, s);
    res.status(201).json(sessionDto(s));
  });

  return r;
}
