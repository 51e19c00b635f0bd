import fs from 'node:fs/promises';
import path from 'node:path';
import {
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3Settings } from './config.js';
import type { Logger } from './logger.js';
import {
  BlobMissingError, BlobUnavailableError, checkedKey, isBlobKey, newBlobKey, removeFilesOlderThan, tempFileIn, type BlobStore,
} from './storage.js';

/**
 * Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Swift's s3api), so API and workers on
 * different hosts share nothing but the bucket. Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID
 * and friends, a profile, an instance or pod role). Every request has a connect and idle timeout, so a store
 * that hangs fails like one that is down: as a BlobUnavailableError (R28).
 *
 * A single image arrives in memory and is sent as it is (`put`). A batch append's files arrive through temp
 * files on local disk (UPLOAD_DIR/tmp, not shared); `adopt` sends each and removes it, and the sweep removes any
 * a crash left behind. Objects are sent from memory, never as a stream:
 * the SDK can only retry a body it can send again.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly tmp: string;

  constructor(
    private readonly s3: S3Settings,
    localDir: string,
    private readonly log: Logger,
  ) {
    this.tmp = path.join(localDir, 'tmp');
    this.client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      maxAttempts: 3,
      // Without throwOnRequestTimeout the SDK only logs a request that runs over, and a hung store hangs us.
      requestHandler: { connectionTimeout: s3.timeoutMs, requestTimeout: s3.timeoutMs, throwOnRequestTimeout: true, socketTimeout: s3.timeoutMs },
      // The SDK's default (a CRC32 trailer, `aws-chunked` bodies) is refused by several S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /**
   * Checks the bucket once. A bucket that does not exist or refuses these credentials is a configuration error
   * (boot fails, saying so); a store that is merely down is R28: boot goes on and submissions answer 503.
   */
  async init(): Promise<this> {
    await fs.mkdir(this.tmp, { recursive: true });
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.s3.bucket }));
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 403 || status === 404 || status === 301) {
        throw new Error(`S3 bucket ${this.s3.bucket} at ${this.s3.endpoint ?? 'AWS'}: HTTP ${status} (does it exist, in S3_REGION, and may these credentials use it?)`);
      }
      this.log.warn({ err: describe(err), bucket: this.s3.bucket }, 'image store unreachable at boot: submissions answer 503 until it is back');
    }
    return this;
  }

  tempPath(): string {
    return tempFileIn(this.tmp);
  }

  async adopt(tempFile: string, key?: string): Promise<string> {
    try {
      return await this.put(await fs.readFile(tempFile), key);
    } finally {
      await fs.rm(tempFile, { force: true });
    }
  }

  async put(bytes: Buffer, key = newBlobKey()): Promise<string> {
    const put = new PutObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key), Body: bytes, ContentLength: bytes.length });
    await this.guarded('put', () => this.client.send(put));
    return key;
  }

  async read(key: string): Promise<Buffer> {
    const get = new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key) });
    const body = await this.guarded('read', async () => {
      try {
        return await (await this.client.send(get)).Body!.transformToByteArray();
      } catch (err) {
        if ((err as Error).name === 'NoSuchKey') throw new BlobMissingError(key);
        throw err;
      }
    });
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }

  async delete(key: string): Promise<void> {
    const del = new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key) });
    // Left for the sweep when the store is down: a job's end must not fail (and be retried) over its cleanup.
    await this.guarded('delete', () => this.client.send(del)).catch(() => undefined);
  }

  /** Temp files here, and objects under S3_PREFIX older than `maxAgeMs` (their jobs' ends could not delete them). */
  async sweep(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    let removed = await removeFilesOlderThan(this.tmp, cutoff);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix: this.s3.prefix, ContinuationToken: token }));
      const old = (page.Contents ?? []).filter((o) => o.Key && isBlobKey(o.Key.slice(this.s3.prefix.length)) && o.LastModified && o.LastModified.getTime() < cutoff);
      // One DELETE each: the batch delete needs a Content-MD5 that the SDK no longer sends and some servers require.
      for (const o of old) await this.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: o.Key }));
      removed += old.length;
      token = page.NextContinuationToken;
    } while (token);
    return removed;
  }

  private objectKey(key: string): string {
    return this.s3.prefix + checkedKey(key);
  }

  /** Every failure but a missing blob is the store being unavailable (down, 5xx, throttling, timeouts). */
  private async guarded<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BlobMissingError) throw err;
      this.log.warn({ err: describe(err), op }, 'image store request failed');
      throw new BlobUnavailableError(err);
    }
  }
}

/** An SDK error in one line: its name, the HTTP status if there was an answer, the message. */
function describe(err: unknown): string {
  const e = err as S3ServiceException;
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message}`;
}
