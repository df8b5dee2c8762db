// WAHA's session status machine: STOPPED → STARTING → SCAN_QR_CODE (QR rotates) → WORKING; FAILED;
// every change posts session.status.
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import { type WahaSession, type WahaStatus, clearAll, later } from '../state/store.js';
import { qrText, randomPhone } from '../util/ids.js';
import { emitWaha } from './webhook-sender.js';

export function setStatus(ctx: SimContext, s: WahaSession, status: WahaStatus): void {
  s.status = status;
  s.statuses.push({ status, timestamp: Date.now() });
  if (s.statuses.length > 10) s.statuses.splice(0, s.statuses.length - 10);
  emitWaha(ctx, s, 'session.status', { name: s.name, status, statuses: [...s.statuses], data: null });
}

export const isRunning = (s: WahaSession) => s.status !== 'STOPPED' && s.status !== 'FAILED';

export function startSession(ctx: SimContext, s: WahaSession): void {
  clearAll(s.timers);
  s.qr = null;
  setStatus(ctx, s, 'STARTING');
  later(s.timers, ctx.opts.startDelayMs, () => {
    if (s.account.phone) setStatus(ctx, s, 'WORKING');
    else showQr(ctx, s);
  });
}

/** A fresh QR; each rotation re-announces SCAN_QR_CODE as WAHA does. */
function showQr(ctx: SimContext, s: WahaSession): void {
  s.qr = qrText();
  setStatus(ctx, s, 'SCAN_QR_CODE');
  later(s.timers, ctx.opts.qrRotateMs, () => {
    if (s.status === 'SCAN_QR_CODE') showQr(ctx, s);
  });
}

export function stopSession(ctx: SimContext, s: WahaSession): void {
  clearAll(s.timers);
  s.qr = null;
  if (s.status !== 'STOPPED') setStatus(ctx, s, 'STOPPED');
}

export function failSession(ctx: SimContext, s: WahaSession): void {
  clearAll(s.timers);
  s.qr = null;
  setStatus(ctx, s, 'FAILED');
}

/** The phone scans the QR (or completes a pairing code). */
export function scanSession(ctx: SimContext, s: WahaSession, phone?: string): void {
  if (s.status !== 'SCAN_QR_CODE' && s.status !== 'STARTING') {
    throw new SimError(409, `session ${s.name} is ${s.status}, not waiting for a QR scan`);
  }
  if (s.status === 'STARTING' && s.account.phone) return; // already authenticated, about to be WORKING
  clearAll(s.timers);
  s.qr = null;
  s.account.phone = phone ?? s.pairingPhone ?? randomPhone();
  setStatus(ctx, s, 'WORKING');
}

/** Logout (API or phone): forget the device; a running session shows a new QR, a stopped one stays STOPPED. */
export function logoutSession(ctx: SimContext, s: WahaSession): void {
  s.account.phone = null;
  s.pairingPhone = null;
  if (isRunning(s)) startSession(ctx, s);
  else {
    clearAll(s.timers);
    s.qr = null;
  }
}
