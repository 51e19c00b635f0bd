import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { JobWaiter } from '../../api/adapters/job-waiter.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis/test-redis.js';

/**
 * The waiter reads no status before waiting (a round trip per job): an end heard before a wait registers is
 * remembered instead. Real Redis pub/sub; the status read is only the fallback poll's.
 */
const channel = `${uniquePrefix('waiter')}:job-events`;
let sub: Redis;
let pub: Redis;
let waiter: JobWaiter;
beforeAll(async () => {
  sub = new Redis(TEST_REDIS_URL);
  pub = new Redis(TEST_REDIS_URL);
  waiter = new JobWaiter(sub, channel);
  await waiter.start();
});
afterAll(() => {
  sub.disconnect();
  pub.disconnect();
});

/** Publishes and resolves once the waiter's own subscription has delivered it (the waiter's handler ran first). */
async function publishHeard(message: object): Promise<void> {
  const heard = new Promise<void>((resolve) => sub.once('message', () => setImmediate(resolve)));
  await pub.publish(channel, JSON.stringify(message));
  await heard;
}

describe('JobWaiter', () => {
  it('resolves with the published end and its fields, without reading the status', async () => {
    let reads = 0;
    const status = async () => (reads++, 'queued' as const);
    const waiting = waiter.wait('job_a', 10_000, status);
    await publishHeard({ id: 'job_a', status: 'succeeded', fields: { status: 'succeeded', completed_at: 'x' } });
    expect(await waiting).toEqual({ status: 'succeeded', fields: { status: 'succeeded', completed_at: 'x' } });
    expect(reads).toBe(0);
  });

  it('remembers an end heard before the wait began', async () => {
    await publishHeard({ id: 'job_b', status: 'failed', fields: { status: 'failed' } });
    let reads = 0;
    // Heard before: the status alone (the caller reads the record), at once and without a read.
    expect(await waiter.wait('job_b', 10_000, async () => (reads++, null))).toEqual({ status: 'failed' });
    expect(reads).toBe(0);
  });

  it('ignores starts, and falls back to polling the status when no end is heard', async () => {
    await publishHeard({ id: 'job_c', status: 'processing' });
    let reads = 0;
    const status = async () => (++reads >= 2 ? ('canceled' as const) : ('processing' as const));
    expect(await waiter.wait('job_c', 10_000, status, undefined, 20)).toEqual({ status: 'canceled' });
    expect(reads).toBe(2);
  });

  it('gives null when the wait runs out or is aborted', async () => {
    expect(await waiter.wait('job_d', 30, async () => 'queued')).toBeNull();
    const abort = new AbortController();
    const waiting = waiter.wait('job_d', 10_000, async () => 'queued', abort.signal);
    abort.abort();
    expect(await waiting).toBeNull();
  });
});
