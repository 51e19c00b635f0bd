import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis.js';
import { JobQueue, type BullQueue } from './job-queue.js';
import { queueKeys } from './keys.js';
import { QUEUES, type PayloadOf, type QueueName } from './payloads.js';

/**
 * The job options of each queue, one place, so a job is retried and kept the same way whoever queued it (the API,
 * or the fetch stage that enqueues a fetched image).
 */
function jobOptions(name: QueueName, config: Readonly<Config>): DefaultJobOptions {
  switch (name) {
    case QUEUES.inference:
      return {
        attempts: config.worker.attempts,
        backoff: { type: 'exponential', delay: 1_000 },
        // Our job record keeps the result: BullMQ's copy of a completed job is deleted at once (trimming a kept
        // set by age and count costs several Redis commands per job).
        removeOnComplete: true,
        removeOnFail: { age: config.retentionSeconds, count: 10_000 },
      };
    case QUEUES.fetch:
      // A fetch that fails ends its job (fetch_failed) inside the processor, so attempts only retry what broke
      // around it (Redis, the blob store).
      return {
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: true,
        removeOnFail: { age: config.retentionSeconds, count: 10_000 },
      };
    case QUEUES.webhooks:
      // One attempt per retry-schedule entry plus the first, with the consumer's own backoff (worker/webhook-worker.ts).
      // Kept for the retention period so the event id keeps deduplicating a status change reported twice.
      return {
        attempts: config.webhooks.retrySchedule.length + 1,
        backoff: { type: 'webhook' },
        removeOnComplete: { age: config.retentionSeconds },
        removeOnFail: { age: config.retentionSeconds },
      };
  }
}

/** Opens one queue on `redis` (shared, not owned: closing the queue leaves the connection open). */
export function openQueue<Q extends QueueName>(name: Q, config: Readonly<Config>, redis: RedisClient): JobQueue<Q> {
  const bull: BullQueue<PayloadOf[Q]> = new Queue<PayloadOf[Q], unknown, string, PayloadOf[Q], unknown, string>(name, {
    connection: redis,
    prefix: config.redis.prefix,
    // BullMQ's event stream is only read by tools; a short one keeps Redis memory per job small. (The webhooks
    // queue kept BullMQ's default: few events, and tools that follow deliveries read it.)
    ...(name === QUEUES.webhooks ? {} : { streams: { events: { maxLen: 1000 } } }),
    defaultJobOptions: jobOptions(name, config),
  });
  return new JobQueue<Q>(bull, redis, queueKeys(config.redis.prefix, name));
}

/** The three queues a process produces into. */
export interface Queues {
  inference: JobQueue<'inference'>;
  fetch: JobQueue<'image-fetch'>;
  webhooks: JobQueue<'webhooks'>;
}

export function openQueues(config: Readonly<Config>, redis: RedisClient): Queues {
  return {
    inference: openQueue(QUEUES.inference, config, redis),
    fetch: openQueue(QUEUES.fetch, config, redis),
    webhooks: openQueue(QUEUES.webhooks, config, redis),
  };
}
