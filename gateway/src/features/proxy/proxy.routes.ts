import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request, type RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { AppError } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { errorContent } from '../../platform/http/api.js';
import type { ProxyPlan, ProxyService } from './proxy.service.js';

type Planned = IncomingMessage & { proxyPlan?: ProxyPlan; proxyStarted?: number; id?: unknown };

const STRIP = ['authorization', 'cookie', 'x-device-id', 'x-api-key', 'token', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'];

/** `/api/whatsapp/*` → the caller's own engine session, with the engine's key added by us. */
export function proxyRoutes(registry: OpenAPIRegistry, proxy: ProxyService, authenticate: RequestHandler, timeoutMs: number): Router {
  for (const method of ['get', 'post', 'put', 'delete'] as const) {
    registry.registerPath({
      method,
      path: '/api/whatsapp/{enginePath}',
      summary: 'Passthrough to the caller’s own engine session (WAHA or WuzAPI API); session forced, admin routes refused',
      tags: ['passthrough'],
      security: [{ bearerAuth: [] }],
      request: { params: z.object({ enginePath: z.string() }), headers: z.object({ 'x-device-id': z.string().uuid().optional() }) },
      // The engine's own answers (any status) pass through as the engine wrote them; these are the gateway's.
      responses: {
        200: { description: 'The engine’s answer' },
        400: { description: 'Invalid input', ...errorContent },
        401: { description: 'Not signed in or token invalid', ...errorContent },
        403: { description: 'Admin route, or a viewer writing', ...errorContent },
        404: { description: 'No device of yours', ...errorContent },
        503: { description: 'Engine unreachable', ...errorContent },
        504: { description: 'Engine timeout', ...errorContent },
      },
    });
  }

  const forward = createProxyMiddleware<IncomingMessage, ServerResponse>({
    changeOrigin: true,
    proxyTimeout: timeoutMs,
    router: (req) => (req as Planned).proxyPlan!.target,
    pathRewrite: (_path, req) => (req as Planned).proxyPlan!.path,
    on: {
      proxyReq(proxyReq, req) {
        const plan = (req as Planned).proxyPlan!;
        for (const h of STRIP) proxyReq.removeHeader(h);
        for (const [k, v] of Object.entries(plan.headers)) proxyReq.setHeader(k, v);
        // express.json consumed a JSON body (the stream has ended); send the session-forced version.
        if (req.readableEnded && (req as Request).body !== undefined) {
          const data = JSON.stringify(plan.body);
          proxyReq.setHeader('content-type', 'application/json');
          proxyReq.setHeader('content-length', Buffer.byteLength(data));
          proxyReq.write(data);
        }
      },
      proxyRes(proxyRes) {
        for (const h of ['x-api-key', 'set-cookie']) delete proxyRes.headers[h];
      },
      error(err, req, res) {
        // A proxy timeout surfaces as a reset socket too; the elapsed time tells the two apart.
        const elapsed = Date.now() - ((req as Planned).proxyStarted ?? Date.now());
        const timedOut = elapsed >= timeoutMs - 50;
        (req as Request).log?.warn({ err, elapsed }, 'passthrough failed');
        const e = timedOut
          ? new AppError('engine_timeout', 504, `The engine did not answer within ${timeoutMs} ms`)
          : new AppError('engine_unreachable', 503, 'The engine cannot be reached');
        const out = res as ServerResponse;
        if ('headersSent' in out && !out.headersSent) {
          out.writeHead(e.status, { 'content-type': 'application/json' });
          out.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
        } else (res as { destroy?: () => void }).destroy?.();
        void req;
      },
    },
  });

  const r = Router();
  r.use('/api/whatsapp', authenticate, async (req, res, next) => {
    const header = req.get('x-device-id');
    (req as Planned).proxyStarted = Date.now();
    (req as Planned).proxyPlan = await proxy.plan(req.user as AuthUser, req.method, req.url, req.body, header);
    req.log?.info({ deviceId: (req as Planned).proxyPlan!.deviceId, method: req.method }, 'passthrough');
    return forward(req, res, next);
  });
  return r;
}
