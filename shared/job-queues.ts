import { Queue, type ConnectionOptions } from 'bullmq';
import type { Config } from './config.js';
import { QUEUES, type InferencePayload } from './queues.js';

/**
 * A job waiting for its `image_url` to be fetched (the fetch stage, worker/fetch-consumer.ts): what its inference
 * payload will carry, less what the fetch finds out (blob, size, sha256), plus the URL.
 */
export type FetchPayload = Pick<InferencePayload, 'jobId' | 'model' | 'topK' | 'labelSet' | 'requestId' | 'tenant' | 'trace' | 'batchId' | 'webhook'> & {
  url: string;
  /** The API priority (0..10) of a single job; batch items run at the batch level. */
  priority: number | null;
  /** False (`cache=false`): the worker neither reuses an answer nor shares its run. */
  cache: boolean;
};

/**
 * The inference queue, with the job options every producer uses (the API, and the fetch stage that enqueues a
 * fetched image): one place, so a job is retried and kept the same way whoever queued it.
 */
export function createInferenceQueue(config: Readonly<Config>, connection: ConnectionOptions): Queue<InferencePayload> {
  return new Queue<InferencePayload>(QUEUES.inference, {
    connection,
    prefix: config.redis.prefix,
    // BullMQ's event stream is only read by tools; a short one keeps Redis memory per job small.
    streams: { events: { maxLen: 1000 } },
    defaultJobOptions: {
      attempts: config.worker.attempts,
      backoff: { type: 'exponential', delay: 1_000 },
      // Our job record keeps the result: BullMQ's copy of a completed job is deleted at once (trimming a kept
      // set by age and count costs several Redis commands per job).
      removeOnComplete: true,
      removeOnFail: { age: config.retentionSeconds, count: 10_000 },
    },
  });
}

/**
 * The fetch queue. A fetch that fails ends its job (fetch_failed) inside the processor, so attempts only retry
 * what broke around it (Redis, the blob store).
 */
export function createFetchQueue(config: Readonly<Config>, connection: ConnectionOptions): Queue<FetchPayload> {
  return new Queue<FetchPayload>(QUEUES.fetch, {
    connection,
    prefix: config.redis.prefix,
    streams: { events: { maxLen: 1000 } },
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { age: config.retentionSeconds, count: 10_000 },
    },
  });
}

/** The fetch queue's order: single jobs' fetches before batch items' (BullMQ runs lower numbers first). */
export const fetchPriority = (inBatch: boolean) => (inBatch ? 2 : 1);
