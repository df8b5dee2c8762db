// Source of each route: its path in WAHA's OpenAPI document 2026.7.1 (shared/contracts/waha-openapi-2026.7.1.json),
// the same path as the route string below; answers are checked against it in test/waha-contract.test.ts.
// /api/{session}/auth/qr and request-code: only while the session waits for a scan.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { pairingCode } from '../util/ids.js';
import { qrPng } from '../util/qr.js';
import { badRequest, getSession, requireStatus } from './http.js';

export function pairingRouter(ctx: SimContext): Router {
  const r = Router();

  r.get('/:session/auth/qr', async (req, res) => {
    const s = getSession(ctx, req.params.session);
    await requireStatus(s, ['SCAN_QR_CODE']);
    const qr = s.qr ?? '';
    const format = req.query.format ?? 'image';
    if (format === 'raw') {
      res.json({ value: qr });
      return;
    }
    if (format !== 'image') throw badRequest(['format must be one of the following values: image, raw']);
    const png = await qrPng(qr);
    if ((req.get('accept') ?? '').includes('application/json')) {
      res.json({ mimetype: 'image/png', data: png.toString('base64') });
      return;
    }
    res.type('image/png').send(png);
  });

  r.post('/:session/auth/request-code', async (req, res) => {
    const s = getSession(ctx, req.params.session);
    const phone = (req.body as Record<string, unknown> | undefined)?.phoneNumber;
    if (typeof phone !== 'string' || phone.replace(/[^0-9]/g, '').length < 5) throw badRequest(['phoneNumber should not be empty']);
    await requireStatus(s, ['SCAN_QR_CODE']);
    s.pairingPhone = phone.replace(/[^0-9]/g, '');
    res.status(201).json({ code: pairingCode() });
  });

  return r;
}
