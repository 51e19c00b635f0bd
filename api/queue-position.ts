import type { RedisClient } from '../shared/redis.js';

/**
 * How many jobs are ahead of a waiting job (0 = next), read from BullMQ's own structures: its plain wait list
 * (pushed on the left, taken from the right) is served before its prioritized set, ordered by priority then
 * arrival. Every inference job is prioritized (toBullPriority, batchItemPriority: batch items' numbers are their
 * fair-share rounds), so this rank is the order the jobs will run in, and a batch item's position can grow when
 * another batch's items are queued into earlier rounds. The wait list only matters for jobs added some other way. Null when the job is not waiting. LPOS is linear in the wait list, which QUEUE_HIGH_WATER bounds.
 */
export async function queuePosition(redis: RedisClient, prefix: string, queue: string, jobId: string): Promise<number | null> {
  const wait = `${prefix}:${queue}:wait`;
  const prioritized = `${prefix}:${queue}:prioritized`;
  const [[, pos], [, len], [, rank]] = (await redis.multi().lpos(wait, jobId).llen(wait).zrank(prioritized, jobId).exec()) as [
    [null, number | null],
    [null, number],
    [null, number | null],
  ];
  if (pos !== null) return len - pos - 1;
  if (rank !== null) return len + rank;
  return null;
}
