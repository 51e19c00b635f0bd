import type { RedisClient } from '../shared/redis.js';
import { positionIn, queueKeys, type QueueName } from '../shared/queue/index.js';

/**
 * How many jobs are ahead of a waiting job (0 = next), null when it is not waiting: the queue adapter's answer
 * (shared/queue/keys.ts knows BullMQ's key layout). Kept with the routes' signature; `ctx.queue.position(id)`
 * is the same question asked of the adapter.
 */
export function queuePosition(redis: RedisClient, prefix: string, queue: string, jobId: string): Promise<number | null> {
  return positionIn(redis, queueKeys(prefix, queue as QueueName), jobId);
}
