import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { checkKey, type MediaStore } from './media.types.js';

/** Media as files under one directory (DATA_DIR/media by default); a write is a rename, never a half file. */
export class LocalMediaStore implements MediaStore {
  constructor(private readonly dir: string) {}

  private file(key: string) {
    return path.join(this.dir, checkKey(key));
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, file);
  }

  async get(key: string) {
    const file = this.file(key);
    try {
      const st = await stat(file);
      return { stream: createReadStream(file), size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
