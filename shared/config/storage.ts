import path from 'node:path';
import { z } from 'zod';
import { durationMs, flag, type Parsed } from './fields.js';

/** Where uploaded images wait for a worker, and how large an upload may be. */
export const storageEnv = {
  /** Image store shared by the API and every worker (with STORAGE=s3: local temp space); default `.inferq/uploads`. */
  UPLOAD_DIR: z.string().default('.inferq/uploads'),
  /** Where uploaded images wait for a worker: `fs` (default: UPLOAD_DIR, shared by every process) or `s3` (a bucket). */
  STORAGE: z.enum(['fs', 's3']).default('fs'),
  /** An S3-compatible endpoint (MinIO, Ceph RGW, Swift); unset for AWS S3 itself. */
  S3_ENDPOINT: z.string().url().optional(),
  /** The bucket; required with STORAGE=s3, and it must exist. */
  S3_BUCKET: z.string().min(3).optional(),
  /** Region requests are signed for; default `us-east-1`. */
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Prepended to every object key (e.g. `inferq/`), so one bucket can hold several deployments; default none. */
  S3_PREFIX: z.string().default(''),
  /** `true` for servers without virtual-hosted buckets (MinIO, Swift, most self-hosted stores); default false. */
  S3_FORCE_PATH_STYLE: flag('false'),
  /** The longest one S3 request attempt may take, connect to answer, in ms (the SDK makes up to 3); default 5,000. */
  S3_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** How long a worker keeps retrying an unreachable blob store before the job fails `blob_unavailable`, in ms; default 60,000. */
  BLOB_READ_RETRY_MS: durationMs(60_000),
  /** Bytes per uploaded image (default 10 MiB). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** Images one batch request (create or append) may carry (default 100); a 10,000-image batch arrives in many requests. */
  MAX_BATCH_FILES_PER_REQUEST: z.coerce.number().int().min(1).max(1000).default(100),
  /** Decoded pixels (width × height) an image may have (default 40 M); far below sharp's 268 M so bombs fail fast. */
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(40_000_000),
};

export interface S3Settings {
  endpoint?: string;
  bucket: string;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  timeoutMs: number;
}

export interface StorageSettings {
  uploads: { dir: string; maxBytes: number; maxPixels: number; maxBatchFiles: number };
  storage: { kind: 'fs' | 's3'; s3?: S3Settings; readRetryMs: number };
}

/** The uploads and storage sections; STORAGE=s3 without a bucket is added to `problems`. */
export function storageSettings(e: Parsed<typeof storageEnv>, problems: string[]): StorageSettings {
  if (e.STORAGE === 's3' && !e.S3_BUCKET) problems.push('S3_BUCKET: required when STORAGE=s3');
  const s3: S3Settings | undefined = e.STORAGE === 's3'
    ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET!, region: e.S3_REGION, prefix: e.S3_PREFIX, forcePathStyle: e.S3_FORCE_PATH_STYLE, timeoutMs: e.S3_TIMEOUT_MS }
    : undefined;
  return {
    uploads: { dir: path.resolve(e.UPLOAD_DIR), maxBytes: e.MAX_UPLOAD_BYTES, maxPixels: e.MAX_IMAGE_PIXELS, maxBatchFiles: e.MAX_BATCH_FILES_PER_REQUEST },
    storage: { kind: e.STORAGE, s3, readRetryMs: e.BLOB_READ_RETRY_MS },
  };
}
