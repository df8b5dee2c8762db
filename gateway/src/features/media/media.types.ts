import type { Readable } from 'node:stream';
import { AppError } from '../../platform/errors.js';

/** Where media bytes live: one interface, a local directory or an S3-compatible bucket behind it. */
export interface MediaStore {
  put(key: string, bytes: Buffer, mimetype: string): Promise<void>;
  /** The bytes as a stream with their size; null when the key holds nothing. */
  get(key: string): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
}

/** Keys are ours (org/device/uuid); anything else is refused rather than mapped onto a path. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(key) || key.includes('..')) {
    throw new AppError('invalid_media_key', 500, 'Invalid media storage key');
  }
  return key;
}
