import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../../platform/errors.js';
import { LocalMediaStore } from './media.local-store.js';
import { S3MediaStore } from './media.s3-store.js';

/** Where media bytes live: one interface, a local directory or an S3-compatible bucket behind it. */
export interface MediaStore {
  put(key: string, bytes: Buffer, mimetype: string): Promise<void>;
  /** The bytes as a stream with their size; null when the key holds nothing. */
  get(key: string): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
}

export interface MediaStoreConfig {
  MEDIA_STORE: 'local' | 's3';
  DATA_DIR: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION: string;
  S3_ACCESS_KEY?: string;
  S3_SECRET_KEY?: string;
  S3_FORCE_PATH_STYLE: boolean;
}

export function createMediaStore(c: MediaStoreConfig): MediaStore {
  if (c.MEDIA_STORE === 'local') return new LocalMediaStore(path.resolve(c.DATA_DIR, 'media'));
  if (!c.S3_BUCKET) throw new Error('Invalid configuration:\n  S3_BUCKET: required with MEDIA_STORE=s3');
  return new S3MediaStore({
    endpoint: c.S3_ENDPOINT,
    bucket: c.S3_BUCKET,
    region: c.S3_REGION,
    accessKeyId: c.S3_ACCESS_KEY,
    secretAccessKey: c.S3_SECRET_KEY,
    forcePathStyle: c.S3_FORCE_PATH_STYLE,
  });
}

/** Keys are ours (org/device/uuid); anything else is refused rather than mapped onto a path. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(key) || key.includes('..')) {
    throw new AppError('invalid_media_key', 500, 'Invalid media storage key');
  }
  return key;
}
