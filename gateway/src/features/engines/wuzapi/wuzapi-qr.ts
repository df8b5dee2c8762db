// WuzAPI hands out the QR only as a PNG data URL; the browser wants the raw text (qrcode.react), so decode it.
import * as jsqrModule from 'jsqr';
import { PNG } from 'pngjs';

type JsQr = (data: Uint8ClampedArray, width: number, height: number, o?: { inversionAttempts?: string }) => { data: string } | null;
// jsqr is CommonJS whose module.exports is the function; its typings declare a default export.
const jsQR: JsQr = ((jsqrModule as unknown as { default?: unknown }).default ?? jsqrModule) as JsQr;

/** "data:image/png;base64,…" (or bare base64) → the QR's text; null when empty or unreadable. */
export function decodeQrDataUrl(dataUrl: string | null | undefined): string | null {
  if (!dataUrl) return null;
  const b64 = dataUrl.startsWith('data:') ? dataUrl.slice(dataUrl.indexOf(',') + 1) : dataUrl;
  if (!b64) return null;
  try {
    const png = PNG.sync.read(Buffer.from(b64, 'base64'));
    const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    // Engines draw dark on light: skipping the inverted pass halves the cost.
    return jsQR(pixels, png.width, png.height, { inversionAttempts: 'dontInvert' })?.data ?? null;
  } catch {
    return null;
  }
}
