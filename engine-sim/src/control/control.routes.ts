// The control API under /_sim (no auth; a development tool): drive the "phone", inject faults, inspect state.
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import { parseFaults } from '../faults.js';
import { ack, describe, findTarget, history, inbound, phoneLogout, scan } from './actions.js';
import { renderPage } from './page.js';
import { failSession } from '../waha/session-machine.js';

type Obj = Record<string, unknown>;
const bodyOf = (req: Request): Obj => (req.body && typeof req.body === 'object' ? (req.body as Obj) : {});

export function controlRouter(ctx: SimContext, onReset: () => void): Router {
  const r = Router();
  r.use(express.json({ limit: '64mb' }));
  r.use(express.urlencoded({ extended: false }));
  const target = (req: Request) => findTarget(ctx, String(req.params.session), req.query.engine);

  r.get('/', async (_req, res) => {
    res.type('html').send(await renderPage(ctx));
  });

  r.get('/sessions', (_req, res) => {
    res.json([...ctx.store.waha.values(), ...ctx.store.wuzapi.values()].map(describe));
  });
  r.get('/sessions/:session', (req, res) => {
    res.json(describe(target(req)));
  });
  r.get('/sessions/:session/sent', (req, res) => {
    const t = target(req);
    res.json(ctx.store.sent.get(t.name) ?? []);
  });
  r.post('/sessions/:session/scan', (req, res) => {
    const t = target(req);
    scan(ctx, t, bodyOf(req).phone);
    res.json(describe(t));
  });
  r.post('/sessions/:session/inbound', (req, res) => {
    res.json(inbound(ctx, target(req), bodyOf(req)));
  });
  r.post('/sessions/:session/history', (req, res) => {
    res.json(history(ctx, target(req), bodyOf(req)));
  });
  r.post('/sessions/:session/ack', (req, res) => {
    res.json(ack(ctx, target(req), bodyOf(req)));
  });
  r.post('/sessions/:session/logout', (req, res) => {
    const t = target(req);
    phoneLogout(ctx, t);
    res.json(describe(t));
  });
  r.post('/sessions/:session/fail', (req, res) => {
    const t = target(req);
    if (t.engine !== 'waha') throw new SimError(400, 'FAILED exists only for WAHA sessions');
    failSession(ctx, t);
    res.json(describe(t));
  });

  r.get('/faults', (_req, res) => {
    res.json(ctx.store.faults);
  });
  r.post('/faults', (req, res) => {
    const b = bodyOf(req);
    ctx.store.faults = parseFaults(b, ctx.store.faults);
    if (b.wuzapiWebhookFormat === 'form' || b.wuzapiWebhookFormat === 'json') ctx.settings.wuzapiWebhookFormat = b.wuzapiWebhookFormat;
    res.json(ctx.store.faults);
  });

  r.get('/settings', (_req, res) => {
    res.json(ctx.settings);
  });
  r.post('/settings', (req, res) => {
    const f = bodyOf(req).wuzapiWebhookFormat;
    if (f !== 'form' && f !== 'json') throw new SimError(400, 'wuzapiWebhookFormat must be form or json');
    ctx.settings.wuzapiWebhookFormat = f;
    res.json(ctx.settings);
  });

  r.get('/deliveries', (req, res) => {
    const session = typeof req.query.session === 'string' ? req.query.session : undefined;
    res.json(ctx.deliverer.log.filter((d) => !session || d.session === session).slice(-500));
  });

  r.post('/reset', (_req, res) => {
    ctx.store.reset();
    ctx.settings.wuzapiWebhookFormat = ctx.opts.wuzapiWebhookFormat;
    onReset();
    res.json({ ok: true });
  });

  r.use((_req, res) => {
    res.status(404).json({ error: 'unknown control route' });
  });
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimError) res.status(err.status).json({ error: err.message });
    else if ((err as { type?: string }).type === 'entity.parse.failed') res.status(400).json({ error: 'invalid JSON' });
    else {
      ctx.log.error({ err }, 'control route failed');
      res.status(500).json({ error: 'internal error' });
    }
  });
  return r;
}
