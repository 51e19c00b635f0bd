import { createHash } from 'node:crypto';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { RedisClient } from '../shared/redis.js';
import type { JobStore } from '../shared/job-store.js';
import type { BlobStore } from '../shared/storage.js';
import type { Metrics } from '../shared/metrics.js';
import type { JobError, JobView } from '../shared/job-types.js';
import { AppError } from '../shared/errors.js';
import { fetchImage, ImageFetchError, type FetchLimits } from '../shared/image-fetch.js';
import { inspectImage } from '../shared/image-header.js';
import { inputAttacher } from '../shared/fetched-input.js';
import type { FetchPayload } from '../shared/job-queues.js';
import { QUEUES, toBullPriority, type InferencePayload } from '../shared/queues.js';
// The one fair enqueue of batch items (it lives with the API's batch appends, its other caller).
import { enqueueItems } from '../api/use-cases/batch-jobs.js';

export interface FetchDeps {
  config: Readonly<Config>;
  redis: RedisClient;
  jobs: JobStore;
  blobs: BlobStore;
  metrics: Metrics;
  logger: Logger;
  inference: Queue<InferencePayload>;
  onFailed: (job: JobView, requestId: string | null) => Promise<void>;
  onBatchCompleted: (batchId: string) => Promise<void>;
}

/**
 * The fetch stage: a BullMQ consumer of its own in the worker process, apart from inference (a slow image
 * server holds a fetch slot, never an inference slot). Per job: fetch through the SSRF guard, check the bytes
 * like an upload, store them, record them on the job, then queue the inference. A job canceled or expired
 * meanwhile is left alone; a fetch or check that fails ends the job `failed` through the usual finish step, so
 * batch counts, waiters and webhooks follow.
 */
export function createFetchConsumer(deps: FetchDeps): Worker<FetchPayload> {
  const { config } = deps;
  const limits: FetchLimits = {
    guard: { allowedHosts: config.outbound.allowedHosts },
    maxBytes: config.uploads.maxBytes,
    timeoutMs: config.outbound.fetchTimeoutMs,
    idleMs: config.outbound.fetchIdleMs,
    maxRedirects: config.outbound.maxRedirects,
  };
  const attach = inputAttacher(deps.redis, config.redis.prefix);
  const processor = async (job: Job<FetchPayload>) => {
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
    else await deps.inference.add('classify', payload, { jobId: p.jobId, priority: toBullPriority(p.priority) });
    // A cancel that read the job before its blob was recorded could not delete it: the blob goes here then.
    if ((await deps.jobs.status(p.jobId)) === 'canceled') await deps.blobs.delete(blobKey);
  };
  const worker = new Worker<FetchPayload>(QUEUES.fetch, processor, {
    connection: deps.redis,
    prefix: config.redis.prefix,
    concurrency: config.outbound.fetchConcurrency,
    // Longer than the longest fetch, so a slow but healthy fetch is never taken for stalled and run twice.
    lockDuration: config.outbound.fetchTimeoutMs + 30_000,
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    // Out of attempts on something other than the fetch (Redis, the blob store): the job must still end.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      void fail(deps, job.data, { code: 'fetch_failed', message: `the fetched image could not be stored: ${err.message}` }).catch(() => undefined);
    }
  });
  return worker;
}

async function fail(deps: FetchDeps, p: FetchPayload, error: JobError): Promise<void> {
  const done = await deps.jobs.finish(p.jobId, p.batchId, { kind: 'failed', error }, new Date().toISOString());
  if (!done.ok) return;
  deps.metrics.jobsFinished.inc({ model: p.model, status: 'failed' });
  deps.metrics.jobFailures.inc({ model: p.model, code: error.code });
  deps.logger.info({ job_id: p.jobId, request_id: p.requestId, code: error.code, reason: error.message }, 'image_url job failed before inference');
  if (p.webhook) {
    const stored = await deps.jobs.get(p.jobId);
    if (stored) await deps.onFailed(stored.view, stored.requestId);
  }
  if (done.batchCompleted && p.batchId) await deps.onBatchCompleted(p.batchId);
}
