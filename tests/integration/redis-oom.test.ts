import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import { Redis } from 'ioredis';
import { RedisServer } from '../helpers/redis/redis-server.js';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages } from '../helpers/jobs/batch-client.js';

// R10: a Redis of our own, out of memory under noeviction.
let redis: RedisServer;
let admin: Redis;
let stack: Stack;
beforeAll(async () => {
  redis = await RedisServer.start({ appendfsync: 'everysec' });
  admin = new Redis(redis.url);
  stack = await startStack({ REDIS_URL: redis.url }, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
  admin?.disconnect();
  await redis?.stop();
});

async function blobFiles() {
  return (await fs.readdir(stack.uploadDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

describe('Redis out of memory (noeviction)', () => {
  it('answers 503 with Retry-After, never 500, keeps no blob, and a batch append is all or none', async () => {
    const img = await solidImage([10, 200, 10]);
    expect((await postImage(stack.url, img)).status).toBe(202);
    const batch = await openBatch(stack.url);
    const before = await blobFiles();
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    // Below what is in use: every write that could grow memory is refused from the first command on.
    await admin.config('SET', 'maxmemory', String(Math.max(1, used - 64 * 1024)));
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    try {
      const res = await postImage(stack.url, img);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toMatch(/out of memory/);
      const append = await postImages(stack.url, `/v1/batches/${batch.id}/images`, [{ data: img, name: 'a.jpg' }, { data: img, name: 'b.jpg' }]);
      expect(append.status).toBe(503);
      expect(await blobFiles()).toBe(before);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    // The batch is as it was, and submissions work again once memory is there.
    expect(((await (await fetch(`${stack.url}/v1/batches/${batch.id}`)).json()) as any).counts.total).toBe(0);
    expect((await postImage(stack.url, img)).status).toBe(202);
  });
});
