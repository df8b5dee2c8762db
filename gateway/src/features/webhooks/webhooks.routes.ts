import express, { Router } from 'express';
import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { WebhooksService } from './webhooks.service.js';
import { errorContent as errorBody } from '../../platform/http/api.js';

/** The engines' callbacks. The raw bytes are kept: the signature covers them exactly. */
export function webhooksRoutes(registry: OpenAPIRegistry, webhooks: WebhooksService, bodyLimit: string): Router {
  const r = Router();
  for (const engine of ['waha', 'wuzapi'] as const) {
    registry.registerPath({
      method: 'post',
      path: `/webhooks/${engine}/{deviceId}`,
      summary: `${engine === 'waha' ? 'WAHA' : 'WuzAPI'} webhook for one device (HMAC-signed by the engine)`,
      tags: ['webhooks'],
      request: { params: z.object({ deviceId: z.string().uuid() }) },
      responses: {
        200: { description: 'Stored (or already stored)' },
        400: { description: 'Malformed payload', ...errorBody },
        401: { description: 'Missing or wrong signature', ...errorBody },
        404: { description: 'Unknown device', ...errorBody },
        413: { description: 'Body larger than WEBHOOK_BODY_LIMIT', ...errorBody },
        500: { description: 'A fault of ours: the engine retries', ...errorBody },
        503: { description: 'The database is unreachable: the engine retries after Retry-After', ...errorBody },
      },
    });
  }
  r.post('/webhooks/:engine/:deviceId', express.raw({ type: () => true, limit: bodyLimit }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await webhooks.receive(String(req.params.engine), String(req.params.deviceId), { body, headers: req.headers }, req.log);
    res.status(200).json({ ok: true });
  });
  return r;
}
