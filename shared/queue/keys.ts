import type { RedisClient } from '../redis.js';
import type { QueueName } from './payloads.js';

/**
 * The Redis keys of one queue: BullMQ's own (`prefix:queue:wait`, `prefix:queue:prioritized`, the layout of its
 * QueueKeys) and ours beside them (the fair share's `prefix:fair:queue:*`). The only place that knows the layout;
 * every key starts with the prefix, which carries the hash tag on a cluster, so one queue's keys share a slot.
 */
export interface QueueKeys {
  /** BullMQ's plain wait list: pushed on the left, taken from the right. */
  wait: string;
  /** BullMQ's prioritized set, scored priority × 2^32 + an arrival counter. */
  prioritized: string;
  /** One job's hash (BullMQ's `prefix:queue:id`). */
  job: (jobId: string) => string;
  /** The fair share's epoch counter (shared/queue/fair-share.ts). */
  fairEpoch: string;
  /** One batch's place in the fair share (hash: epoch, next). */
  fairBatch: (batchId: string) => string;
}

export function queueKeys(prefix: string, name: QueueName): QueueKeys {
  const fair = `${prefix}:fair:${name}`;
  return {
    wait: `${prefix}:${name}:wait`,
    prioritized: `${prefix}:${name}:prioritized`,
    job: (jobId) => `${prefix}:${name}:${jobId}`,
    fairEpoch: `${fair}:epoch`,
    fairBatch: (batchId) => `${fair}:batch:${batchId}`,
  };
}

/**
 * How many jobs are ahead of a waiting job (0 = next), read from BullMQ's own structures: its plain wait list is
 * served before its prioritized set, ordered by priority then arrival. Every inference job is prioritized
 * (toBullPriority, batchItemPriority: batch items' numbers are their fair-share rounds), so this rank is the order
 * the jobs will run in, and a batch item's position can grow when another batch's items are queued into earlier
 * rounds. The wait list only matters for jobs added some other way. Null when the job is not waiting. LPOS is
 * linear in the wait list, which QUEUE_HIGH_WATER bounds.
 */
export async function positionIn(redis: RedisClient, keys: QueueKeys, jobId: string): Promise<number | null> {
  const [[, pos], [, len], [, rank]] = (await redis.multi().lpos(keys.wait, jobId).llen(keys.wait).zrank(keys.prioritized, jobId).exec()) as [
    [null, number | null],
    [null, number],
    [null, number | null],
  ];
  if (pos !== null) return len - pos - 1;
  if (rank !== null) return len + rank;
  return null;
}
