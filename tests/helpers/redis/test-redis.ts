import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

/** The Redis tests use: REDIS_URL or TEST_REDIS_URL, else the machine's 127.0.0.1:6379 (CI starts one). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses, so tests share one Redis without seeing each other's keys. */
export const uniquePrefix = (name = 't') => `test-${name}-${randomBytes(4).toString('hex')}`;

/** Deletes every key under `prefix`. */
export async function cleanPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
