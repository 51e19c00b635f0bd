import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Where uploaded images live between the API and the workers. Keys are server-generated, never client
 * filenames, so nothing a client sends can choose a path. The filesystem store needs one directory shared by
 * the API and every worker (a volume in compose, NFS/EFS across hosts); an S3 store would implement the same.
 */
export interface BlobStore {
  /** A fresh path in the store's temp area, on the same filesystem, for an upload being written. */
  tempPath(): string;
  /** Moves a finished temp file into the store and returns its key. */
  adopt(tempFile: string): Promise<string>;
  read(key: string): Promise<Buffer>;
  /** Deletes a blob; a missing blob is not an error (deletes are retried and raced). */
  delete(key: string): Promise<void>;
  /** Removes temp files and blobs older than `maxAgeMs` (uploads abandoned by a crash); returns how many. */
  sweep(maxAgeMs: number): Promise<number>;
}

const KEY_PATTERN = /^[0-9a-f]{32}$/;

export class FsBlobStore implements BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.blobs = path.join(root, 'blobs');
    this.tmp = path.join(root, 'tmp');
  }

  async init(): Promise<this> {
    await fs.mkdir(this.blobs, { recursive: true });
    await fs.mkdir(this.tmp, { recursive: true });
    return this;
  }

  tempPath(): string {
    return path.join(this.tmp, `${randomBytes(16).toString('hex')}.part`);
  }

  async adopt(tempFile: string): Promise<string> {
    const key = randomBytes(16).toString('hex');
    await fs.mkdir(path.dirname(this.pathOf(key)), { recursive: true });
    await fs.rename(tempFile, this.pathOf(key));
    return key;
  }

  read(key: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    // unlink, not rm({force}): rm walks through lstat and friends, a measurable cost per job.
    await fs.unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async sweep(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    let removed = 0;
    for (const dir of [this.tmp, ...(await subdirs(this.blobs))]) {
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        const file = path.join(dir, name);
        const st = await fs.stat(file).catch(() => null);
        if (st?.isFile() && st.mtimeMs < cutoff) {
          await fs.rm(file, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
    return path.join(this.blobs, key.slice(0, 2), key);
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
}
