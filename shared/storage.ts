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
  /**
   * Writes an upload held in memory into the store and returns its key; a failed write leaves no file. `key`
   * (from newBlobKey) when the caller needs it before the write ends: the API records the job meanwhile.
   */
  put(data: Buffer, key?: string): Promise<string>;
  /** A fresh path in a local temp area, for an upload being written (on the store's filesystem for `fs`). */
  tempPath(): string;
  /**
   * Moves a finished temp file into the store and returns its key (`key`, when given, as for `put`); the temp
   * file is gone once this returns.
   */
  adopt(tempFile: string, key?: string): Promise<string>;
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
    super('unavailable', 'the image store is unreachable; try again shortly', { retryAfter: 5 });
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
    return tempFileIn(this.tmp);
  }

  // One open(O_EXCL)/write/close per upload. init() made the shard directories; one removed since (a cleanup
  // by hand) is made again when a write finds it missing: an mkdir before every write failed with EEXIST.
  async put(data: Buffer, key = newBlobKey()): Promise<string> {
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

  async adopt(tempFile: string, key = newBlobKey()): Promise<string> {
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
    for (const dir of [this.tmp, ...(await subdirs(this.blobs))]) removed += await removeFilesOlderThan(dir, cutoff);
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

/** A fresh temp file name in `dir` (an upload being written). */
export const tempFileIn = (dir: string) => path.join(dir, `${newBlobKey()}.part`);

/** Removes the files directly in `dir` last modified before `cutoff` (ms since the epoch); returns how many. */
export async function removeFilesOlderThan(dir: string, cutoff: number): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => null);
    if (st?.isFile() && st.mtimeMs < cutoff) {
      await fs.rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
