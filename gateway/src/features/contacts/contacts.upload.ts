import type { Request } from 'express';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { AppError } from '../../platform/errors.js';
import { assertCleanInput } from '../../platform/http/input-guard.js';

/** '50mb' → bytes. */
export function parseSize(v: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v}`);
  return Number(m[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[m[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
}

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream', 'application/vnd.ms-excel'];

/**
 * The CSV of an upload, as a stream: the raw body of a text/csv request, or the first file part of a
 * multipart/form-data request together with the form fields sent before it (mode, delimiter, map[…]).
 */
export function csvUpload(req: Request, maxBytes: number): Promise<{ file: Readable; fields: Record<string, string> }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (CSV_TYPES.includes(type)) return Promise.resolve({ file: req, fields: {} });
  if (type !== 'multipart/form-data') {
    return Promise.reject(new AppError('unsupported_media_type', 415, 'Send the CSV as text/csv, or as a file in multipart/form-data'));
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 1024 } });
    } catch (e) {
      return reject(new AppError('invalid_multipart', 400, `The multipart body cannot be read: ${(e as Error).message}`));
    }
    let found = false;
    bb.on('field', (name, value) => {
      if (!found) fields[name] = value;
    });
    bb.on('file', (_name, file) => {
      if (found) return file.resume();
      found = true;
      try {
        assertCleanInput(fields, 'body');
      } catch (e) {
        file.resume();
        return reject(e);
      }
      file.on('limit', () => file.destroy(new AppError('payload_too_large', 413, `The CSV exceeds the limit of ${maxBytes} bytes`)));
      resolve({ file, fields });
    });
    bb.on('error', (e) => reject(new AppError('invalid_multipart', 400, `The multipart body cannot be read: ${(e as Error).message}`)));
    bb.on('close', () => {
      if (!found) reject(new AppError('validation_failed', 400, 'Invalid body: file', [{ in: 'body', field: 'file', message: 'no CSV file in the form' }]));
    });
    req.pipe(bb);
  });
}
