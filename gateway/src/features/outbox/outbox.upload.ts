import type { RequestHandler } from 'express';
import busboy from 'busboy';
import { AppError } from '../../platform/errors.js';
import { assertCleanInput } from '../../platform/http/input-guard.js';

export interface Upload {
  data: Buffer;
  filename: string | null;
}

/**
 * For multipart/form-data requests: reads the form fields into req.body (validated by the route's
 * schema like a JSON body) and the one file into res.locals.upload, refusing files over `maxBytes`
 * (413). Other requests pass untouched.
 */
export function mediaUpload(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 70_000 } });
    } catch (e) {
      return next(new AppError('invalid_multipart', 400, `The multipart body cannot be read: ${(e as Error).message}`));
    }
    const fields: Record<string, string> = {};
    let upload: Upload | null = null;
    let tooLarge = false;
    let failed: Error | null = null;
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (_name, file, info) => {
      if (upload) return file.resume();
      const chunks: Buffer[] = [];
      file.on('data', (c: Buffer) => chunks.push(c));
      file.on('limit', () => {
        tooLarge = true;
        chunks.length = 0;
      });
      file.on('end', () => {
        if (!tooLarge) upload = { data: Buffer.concat(chunks), filename: info.filename ?? null };
      });
      upload = { data: Buffer.alloc(0), filename: info.filename ?? null }; // placeholder: later files are skipped
    });
    bb.on('error', (e) => {
      failed = e as Error;
      req.unpipe(bb);
      next(new AppError('invalid_multipart', 400, `The multipart body cannot be read: ${failed.message}`));
    });
    bb.on('close', () => {
      if (failed) return;
      if (tooLarge) return next(new AppError('media_too_large', 413, `The file exceeds the limit of ${maxBytes} bytes`));
      // The fields are checked with the body by the route; the file name is stored too.
      try {
        assertCleanInput(upload?.filename ?? '', 'body', 'file.filename');
      } catch (e) {
        return next(e);
      }
      req.body = fields;
      res.locals.upload = upload && upload.data.length > 0 ? upload : null;
      next();
    });
    req.pipe(bb);
  };
}
