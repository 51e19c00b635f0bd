import { Redis } from 'ioredis';

/**
 * True when a Redis answers PING at `url` within `timeoutMs`: one connection, no retries and no offline queue,
 * so a Redis that is down or still loading its AOF answers false at once instead of hanging the caller.
 */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
