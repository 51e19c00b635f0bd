import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { freePort } from '../../shared/free-port.js';
import { RedisServer } from '../helpers/redis/redis-server.js';
import { connectionState, markStoreFailures, storeUnavailable } from '../../api/adapters/store-errors.js';
import { toAppError } from '../../api/middleware/error-handler.js';

// Real ioredis errors, from a real Redis of the test's own and from a port nothing listens on.
const READY = { up: async () => true };
let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await RedisServer.start({ appendfsync: 'everysec' });
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('the command succeeded'), (err: unknown) => err);
}

describe('queue store errors, by class and connection state', () => {
  it('a closed connection: the producer refuses at once, and its status says it is not ready', async () => {
    // The producer's options (shared/redis.ts): no offline queue, so a command fails fast instead of waiting.
    const down = new Redis(await freePort(), '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const err = await rejection(down.get('k'));
      expect(down.status).not.toBe('ready');
      const state = connectionState(down);
      expect(await storeUnavailable(err, state)).toMatchObject({ code: 'unavailable', status: 503, retryAfter: 1, message: 'the queue store is unreachable' });
      expect((await toAppError(err, state)).status).toBe(503);
      // The same error with the connection ready is not the store's: it stays a 500.
      expect(await storeUnavailable(err, READY)).toBeNull();
    } finally {
      down.disconnect();
    }
  });

  it('ioredis giving up on its retries is unreachable, whatever the state says', async () => {
    const down = new Redis(await freePort(), '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    try {
      const err = await rejection(down.get('k'));
      expect((err as Error).name).toBe('MaxRetriesPerRequestError');
      expect(await storeUnavailable(err, READY)).toMatchObject({ status: 503, retryAfter: 1 });
    } finally {
      down.disconnect();
    }
  });

  it('out of memory (OOM, and EXECABORT of a MULTI) is 503 with a long Retry-After; another error reply is not', async () => {
    await client.set('taken', 'x');
    const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', String(Math.max(1, used - 64 * 1024)));
    try {
      const oom = await rejection(client.set('more', 'y'.repeat(1024)));
      expect(await storeUnavailable(oom, READY)).toMatchObject({ status: 503, retryAfter: 30, message: 'the queue store is out of memory' });
      const aborted = await rejection(client.multi().set('a', '1').set('b', '2').exec());
      expect((aborted as Error).message.split(' ')[0]).toBe('EXECABORT');
      expect(await toAppError(aborted, READY)).toMatchObject({ code: 'unavailable', status: 503, retryAfter: 30 });
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    const wrongType = await rejection(client.lpush('taken', 'z'));
    expect(await storeUnavailable(wrongType, READY)).toBeNull();
    expect(await toAppError(wrongType, READY)).toMatchObject({ code: 'internal_error', status: 500 });
  });

  it('a paused Redis: the command times out on a connection still ready, and the store does not answer a PING', async () => {
    // The producer's command timeout (shared/redis.ts has 3 s), shortened.
    const producer = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 300 });
    try {
      await new Promise((resolve) => producer.once('ready', resolve));
      await client.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const err = await rejection(producer.get('k'));
      expect(producer.status).toBe('ready');
      expect(await storeUnavailable(err, connectionState(producer))).toMatchObject({ status: 503, message: 'the queue store is unreachable' });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Answering again: the same error would be a bug of ours, a 500.
      expect(await storeUnavailable(err, connectionState(producer))).toBeNull();
    } finally {
      producer.disconnect();
    }
  });

  it('a marked connection: its timed-out command is the store\'s even once Redis answers again (R9\'s race)', async () => {
    const producer = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 300 });
    markStoreFailures(producer);
    try {
      await new Promise((resolve) => producer.once('ready', resolve));
      await client.call('CLIENT', 'PAUSE', '600', 'ALL');
      const err = await rejection(producer.get('k'));
      // The pause has ended by the time the error is judged: the state alone would call it ours (a 500).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await producer.ping()).toBe('PONG');
      expect(await storeUnavailable(err, connectionState(producer))).toMatchObject({ status: 503, message: 'the queue store is unreachable' });
      // A reply error on the same connection is still judged by its code: WRONGTYPE is our bug.
      await producer.set('str', 'x');
      const wrongType = await rejection(producer.lpush('str', 'z'));
      expect(await storeUnavailable(wrongType, connectionState(producer))).toBeNull();
      // An error that no command raised is not the store's while it answers.
      expect(await storeUnavailable(new TypeError('a bug of ours'), connectionState(producer))).toBeNull();
    } finally {
      producer.disconnect();
    }
  });
});
