import { inspectImage } from '../../shared/image-header.js';
import { newJobId } from '../../shared/ids.js';
import type { UploadedImage } from '../middleware/upload.js';
import type { BlobStore } from '../../shared/storage.js';
import type { ModelSpec } from '../../shared/model-manifest.js';
import type { NewJob } from '../../shared/job-types.js';
import type { InferencePayload } from '../../shared/queue/index.js';
import type { CachedAnswer } from '../../shared/result-cache.js';
import { lookup, type CacheDeps } from './cached-job.js';

export interface BatchTemplate {
  id: string;
  spec: ModelSpec;
  topK: number;
  labelSet: string | null;
  /** The batch's deadline (epoch ms), which every item carries; null: none. */
  deadlineAt: number | null;
  /** The appender's API key name (or `public`), carried in each job for the per-tenant metrics. */
  tenant?: string;
  /** The batch allows answers from the result cache (`cache=false` at create turns it off). */
  useCache: boolean;
}

/** Items answered from the result cache: recorded like the others, never stored as blobs or queued. */
export interface CacheHit {
  job: NewJob;
  answer: CachedAnswer;
}

/**
 * Checks every image of an append before anything is stored, so a bad file fails the whole request and the
 * batch is unchanged (all or none); then moves them into the blob store (all or none too) and describes their jobs.
 */
export async function prepareItems(
  blobs: BlobStore,
  maxPixels: number,
  batch: BatchTemplate,
  files: UploadedImage[],
  requestId: string,
  cache?: CacheDeps,
): Promise<{ jobs: NewJob[]; payloads: InferencePayload[]; hits: CacheHit[] }> {
  const headers = [];
  for (const f of files) {
    try {
      headers.push(await inspectImage(await f.contents(), maxPixels));
    } catch (err) {
      if (err instanceof Error) err.message = `${f.filename ?? 'an image'}: ${err.message}`;
      throw err;
    }
  }
  const jobs: NewJob[] = [];
  const payloads: InferencePayload[] = [];
  const hits: CacheHit[] = [];
  const createdAt = new Date().toISOString();
  const model = { name: batch.spec.name, version: batch.spec.version };
  const lookups = cache && batch.useCache ? files.map((f) => lookup(cache, { sha256: f.sha256, model, labelSet: batch.labelSet }, batch.topK)) : [];
  const answers = await Promise.all(lookups);
  // Items the cache answers are never stored.
  const keys = await storeAll(blobs, files.map((f, i) => (answers[i] ? null : f)));
  for (const [i, f] of files.entries()) {
    const id = newJobId();
    const answer = answers[i] ?? null;
    const blobKey = keys[i]!;
    const h = headers[i]!;
    jobs.push({
      id, model: { name: batch.spec.name, version: batch.spec.version }, createdAt, topK: batch.topK, labelSet: batch.labelSet, blobKey,
      input: { filename: f.filename, content_type: h.contentType, bytes: f.bytes, width: h.width, height: h.height, sha256: f.sha256 },
      metadata: {}, priority: null, deadlineAt: batch.deadlineAt, batchId: batch.id, requestId, webhook: null,
    });
    if (answer) {
      hits.push({ job: jobs.at(-1)!, answer });
      continue;
    }
    payloads.push({
      jobId: id, model: batch.spec.name, blobKey, topK: batch.topK, requestId, tenant: batch.tenant, batchId: batch.id,
      image: { width: h.width, height: h.height }, ...(batch.labelSet ? { labelSet: batch.labelSet } : {}),
      ...(cache ? (batch.useCache ? { sha256: f.sha256 } : { noCache: true }) : {}),
    });
  }
  return { jobs, payloads, hits };
}

/** Stores taken at once: an S3 put is a network round trip, and an append carries up to 100 images. */
const STORE_CONCURRENCY = 8;

/**
 * Puts every file into the store, a few at a time; all or none: if one fails, those stored are deleted. A null
 * (an item the cache answered) is skipped and gets the empty key.
 */
async function storeAll(blobs: BlobStore, files: (UploadedImage | null)[]): Promise<string[]> {
  const keys: string[] = files.map(() => '');
  const failure: { err?: unknown } = {};
  let next = 0;
  const lane = async () => {
    while (!('err' in failure) && next < files.length) {
      const i = next++;
      const file = files[i];
      if (!file) continue;
      try {
        keys[i] = await file.storeIn(blobs);
      } catch (err) {
        if (!('err' in failure)) failure.err = err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STORE_CONCURRENCY, files.length) }, lane));
  if ('err' in failure) {
    // The store may be what failed, so these deletes may not reach it either: the sweep is the backstop.
    await Promise.allSettled(keys.filter(Boolean).map((k) => blobs.delete(k)));
    throw failure.err;
  }
  return keys;
}
