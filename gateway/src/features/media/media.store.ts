import path from 'node:path';
import { LocalMediaStore } from './media.local-store.js';
import { S3MediaStore } from './media.s3-store.js';
import type { MediaStore } from './media.types.js';

// The stores import the interface and key check from media.types.ts, never this file (no cycle).
export type { MediaStore } from './media.types.js';
export { checkKey } from './media.types.js';

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
