import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Where uploaded images live between the API and the workers. Keys are server-generated, never client
 * filenames, so nothing a client sends can choose a path. The filesystem store needs one directory shared by
 * the API and every worker (a volume in compose, NFS/EFS across hosts); an S3 store would implement the same.
 */
export interface BlobStore {
  /** Writes an upload held in memory into the store and returns its key; a failed write leaves no file. */
  put(data: Buffer): Promise<string>;
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

  /** Makes the store's directories, all 256 shards included, so no write ever finds its directory missing. */
  async init(): Promise<this> {
    await fs.mkdir(this.blobs, { recursive: true });
    await fs.mkdir(this.tmp, { recursive: true });
    const present = new Set(await fs.readdir(this.blobs));
    const shards = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
    await Promise.all(shards.filter((s) => !present.has(s)).map((s) => fs.mkdir(path.join(this.blobs, s), { recursive: true })));
    return this;
  }

  tempPath(): string {
    return path.join(this.tmp, `${randomBytes(16).toString('hex')}.part`);
  }

  // One open(O_EXCL)/write/close per upload. init() made the shard directories; one removed since (a cleanup
  // by hand) is made again when a write finds it missing: an mkdir before every write failed with EEXIST.
  async put(data: Buffer): Promise<string> {
    const key = randomBytes(16).toString('hex');
    const file = this.pathOf(key);
    await this.inShard(file, async () => {
      try {
        await fs.writeFile(file, data, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        // A full disk (ENOSPC) leaves a partial file behind: remove it before answering 507.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') await fs.unlink(file).catch(() => undefined);
        throw err;
      }
    });
    return key;
  }

  async adopt(tempFile: string): Promise<string> {
    const key = randomBytes(16).toString('hex');
    const file = this.pathOf(key);
    await this.inShard(file, () => fs.rename(tempFile, file));
    return key;
  }

  private async inShard(file: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.mkdir(path.dirname(file), { recursive: true });
      await write();
    }
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
