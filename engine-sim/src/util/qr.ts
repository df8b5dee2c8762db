import QRCode from 'qrcode';

/** PNG of a QR text, as WAHA's format=image answers. */
export const qrPng = (text: string): Promise<Buffer> => QRCode.toBuffer(text, { type: 'png', margin: 1, width: 256 });

/** data:image/png;base64,... as WuzAPI's /session/qr and QR webhook carry it. */
export const qrDataUrl = (text: string): Promise<string> => QRCode.toDataURL(text, { margin: 1, width: 256 });
