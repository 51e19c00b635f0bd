import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from './errors.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Where uploaded images live between the API and the workers. Keys are server-generated, never client
 * filenames, so nothing a client sends can choose a path. The filesystem store needs one directory shared by
 * the API and every worker (a volume in compose, NFS/EFS across hosts); the S3 store (storage-s3.ts) needs none.
 */
export interface BlobStore {
  /** A fresh path in a local temp area, for an upload being written (on the store's filesystem for `fs`). */
  tempPath(): string;
  /** Moves a finished temp file into the store and returns its key; the temp file is gone once this returns. */
  adopt(tempFile: string): Promise<string>;
  /** Stores bytes held in memory and returns their key. */
  put(bytes: Buffer): Promise<string>;
  /** The blob's bytes; a missing one throws a BlobMissingError (code ENOENT), an unreachable store a BlobUnavailableError. */
  read(key: string): Promise<Buffer>;
  /**
   * Deletes a blob; a missing blob is not an error (deletes are retried and raced). A remote store that cannot
   * be reached logs and leaves the blob to `sweep`, so a job's end never fails on its cleanup.
   */
  delete(key: string): Promise<void>;
  /** Removes temp files and blobs older than `maxAgeMs` (uploads abandoned by a crash); returns how many. */
  sweep(maxAgeMs: number): Promise<number>;
}

/** The store cannot be reached or answers with errors (R28): a 503 at submit, retried by workers. */
export class BlobUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('unavailable', 503, 'the image store is unreachable; try again shortly', undefined, 5);
    this.cause = cause;
  }
}

/** The blob is not in the store (already deleted, or swept). `code` matches the filesystem's ENOENT. */
export class BlobMissingError extends Error {
  readonly code = 'ENOENT';
  constructor(key: string) {
    super(`no blob ${key}`);
  }
}

/** The store the configuration asks for; the S3 client is only loaded when it is used. */
export async function openBlobStore(config: Readonly<Config>, logger: Logger): Promise<BlobStore> {
  if (config.storage.kind === 's3') {
    const { S3BlobStore } = await import('./storage-s3.js');
    return new S3BlobStore(config.storage.s3!, config.uploads.dir, logger).init();
  }
  return new FsBlobStore(config.uploads.dir).init();
}

const KEY_PATTERN = /^[0-9a-f]{32}$/;

export const newBlobKey = () => randomBytes(16).toString('hex');
export const isBlobKey = (key: string) => KEY_PATTERN.test(key);

/** A key is ours (32 hex digits) or an error: a key from a job record must never reach a path or an object name. */
export function checkedKey(key: string): string {
  if (!isBlobKey(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  return key;
}

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
    const key = newBlobKey();
    await fs.mkdir(path.dirname(this.pathOf(key)), { recursive: true });
    await fs.rename(tempFile, this.pathOf(key));
    return key;
  }

  async put(bytes: Buffer): Promise<string> {
    // Written beside the store and renamed in, so a blob is never seen half-written.
    const tmp = this.tempPath();
    try {
      await fs.writeFile(tmp, bytes, { flag: 'wx', mode: 0o600 });
      return await this.adopt(tmp);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
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
    return path.join(this.blobs, key.slice(0, 2), checkedKey(key));
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
}
