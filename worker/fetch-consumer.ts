import { createHash } from 'node:crypto';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { RedisClient } from '../shared/redis.js';
import type { JobStore } from '../shared/job-store.js';
import type { BlobStore } from '../shared/storage.js';
import type { JobError } from '../shared/job-types.js';
import type { JobLifecycle } from '../shared/job-lifecycle.js';
import { AppError } from '../shared/errors.js';
import { fetchImage, ImageFetchError, type FetchLimits } from '../shared/image-fetch.js';
import { inspectImage } from '../shared/image-header.js';
import { inputAttacher } from '../shared/fetched-input.js';
import {
  QUEUES, createConsumer, enqueueItems, enqueueJob, type Consumer, type FetchPayload, type InferencePayload, type JobQueue, type QueuedJob,
} from '../shared/queue/index.js';

export interface FetchDeps {
  config: Readonly<Config>;
  redis: RedisClient;
  jobs: JobStore;
  blobs: BlobStore;
  logger: Logger;
  inference: JobQueue<'inference'>;
  /** A fetch that fails ends its job here (state, metrics, webhook, batch). */
  lifecycle: JobLifecycle;
}

/**
 * The fetch stage: a BullMQ consumer of its own in the worker process, apart from inference (a slow image
 * server holds a fetch slot, never an inference slot). Per job: fetch through the SSRF guard, check the bytes
 * like an upload, store them, record them on the job, then queue the inference. A job canceled or expired
 * meanwhile is left alone; a fetch or check that fails ends the job `failed` through the usual finish step, so
 * batch counts, waiters and webhooks follow.
 */
export function createFetchConsumer(deps: FetchDeps): Consumer<'image-fetch'> {
  const { config } = deps;
  const limits: FetchLimits = {
    guard: { allowedHosts: config.outbound.allowedHosts },
    maxBytes: config.uploads.maxBytes,
    timeoutMs: config.outbound.fetchTimeoutMs,
    idleMs: config.outbound.fetchIdleMs,
    maxRedirects: config.outbound.maxRedirects,
  };
  const attach = inputAttacher(deps.redis, config.redis.prefix);
  const processor = async (job: QueuedJob<FetchPayload>) => {
    const p = job.data;
    if ((await deps.jobs.status(p.jobId)) !== 'queued') return;
    let bytes: Buffer;
    let header;
    try {
      bytes = await fetchImage(p.url, limits);
      header = await inspectImage(bytes, config.uploads.maxPixels);
    } catch (err) {
      if (err instanceof ImageFetchError || err instanceof AppError) return fail(deps, p, { code: err.code, message: err.message });
      throw err;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const blobKey = await deps.blobs.put(bytes);
    const input = { filename: null, content_type: header.contentType, bytes: bytes.length, width: header.width, height: header.height, sha256, url: p.url };
    if ((await attach(p.jobId, input, blobKey)) !== 'ok') {
      await deps.blobs.delete(blobKey);
      return;
    }
    const payload: InferencePayload = {
      jobId: p.jobId, model: p.model, blobKey, topK: p.topK, image: { width: header.width, height: header.height },
      ...(p.labelSet ? { labelSet: p.labelSet } : {}), ...(p.requestId ? { requestId: p.requestId } : {}),
      ...(p.tenant ? { tenant: p.tenant } : {}), ...(p.trace ? { trace: p.trace } : {}),
      ...(p.batchId ? { batchId: p.batchId } : {}), ...(p.webhook ? { webhook: true } : {}),
      ...(config.resultCacheSeconds > 0 ? (p.cache ? { sha256 } : { noCache: true }) : {}),
    };
    // A batch item takes its turn in its batch's fair share as it enters the inference queue, i.e. now, when it
    // is fetched (the same step as uploaded items: enqueueItems); a single job its priority's number.
    if (p.batchId) await enqueueItems(deps.inference, [payload]);
    else await enqueueJob(deps.inference, payload, p.priority);
    // A cancel that read the job before its blob was recorded could not delete it: the blob goes here then.
    if ((await deps.jobs.status(p.jobId)) === 'canceled') await deps.blobs.delete(blobKey);
  };
  const consumer = createConsumer(QUEUES.fetch, processor, config, deps.redis, {
    concurrency: config.outbound.fetchConcurrency,
    // Longer than the longest fetch, so a slow but healthy fetch is never taken for stalled and run twice.
    lockDurationMs: config.outbound.fetchTimeoutMs + 30_000,
  });
  consumer.onFailed((job, err, { final, stalled }) => {
    // Out of attempts on something other than the fetch (Redis, the blob store), or its worker died fetching it
    // too often: the job must still end.
    if (!final) return;
    const error: JobError = stalled
      ? { code: 'worker_crashed', message: 'the fetch stalled repeatedly (its worker died while fetching)' }
      : { code: 'fetch_failed', message: `the fetched image could not be stored: ${err.message}` };
    void fail(deps, job.data, error).catch(() => undefined);
  });
  return consumer;
}

async function fail(deps: FetchDeps, p: FetchPayload, error: JobError): Promise<void> {
  const done = await deps.lifecycle.finish({ id: p.jobId, model: p.model, batchId: p.batchId, webhook: p.webhook === true }, { kind: 'failed', error });
  if (done.ok) deps.logger.info({ job_id: p.jobId, request_id: p.requestId, code: error.code, reason: error.message }, 'image_url job failed before inference');
}
