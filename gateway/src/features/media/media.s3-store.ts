import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { checkKey, type MediaStore } from './media.types.js';

export interface S3StoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/** Media in an S3-compatible bucket (AWS S3, MinIO): three calls, PutObject, GetObject, DeleteObject. */
export class S3MediaStore implements MediaStore {
  private readonly s3: S3Client;

  constructor(private readonly o: S3StoreOptions) {
    this.s3 = new S3Client({
      region: o.region,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      forcePathStyle: o.forcePathStyle,
      ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
      // Checksums only where S3 requires them: several S3-compatible servers reject the newer headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, bytes: Buffer, mimetype: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: checkKey(key), Body: bytes, ContentType: mimetype, ContentLength: bytes.length }));
  }

  async get(key: string) {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: checkKey(key) }));
      if (!r.Body) return null;
      return { stream: r.Body as Readable, size: Number(r.ContentLength ?? 0) };
    } catch (e) {
      if (e instanceof S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)) return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: checkKey(key) }));
  }
}
