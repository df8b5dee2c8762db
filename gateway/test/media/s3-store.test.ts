// The S3 media store against s3rver, a local S3-compatible server (npm), over real HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaStore, type MediaStore } from '../../src/features/media/media.store.js';

let server: S3rver;
let dir: string;
let endpoint: string;
let store: MediaStore;
const creds = { S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gw-s3-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'wa-media' }));
  store = createMediaStore({ MEDIA_STORE: 's3', DATA_DIR: dir, S3_ENDPOINT: endpoint, S3_BUCKET: 'wa-media', S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true, ...creds });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const read = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
};

describe('S3 media store', () => {
  it('when bytes are put, then get returns them with their size, and after delete get returns null', async () => {
    const key = 'org/device/0b7f3c3e-1111-4444-8888-123456789abc';
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await store.put(key, bytes, 'image/png');
    const got = await store.get(key);
    expect(got!.size).toBe(bytes.length);
    expect((await read(got!.stream)).equals(bytes)).toBe(true);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
  });

  it('when a key was never written, then get returns null', async () => {
    expect(await store.get('org/device/none')).toBeNull();
  });

  it('when a key tries to leave its prefix, then it is refused', async () => {
    await expect(store.put('../escape', Buffer.from('x'), 'text/plain')).rejects.toThrow(/key/);
  });

  it('when MEDIA_STORE=s3 has no bucket, then building the store fails naming S3_BUCKET', () => {
    expect(() => createMediaStore({ MEDIA_STORE: 's3', DATA_DIR: dir, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true })).toThrow(/S3_BUCKET/);
  });
});
