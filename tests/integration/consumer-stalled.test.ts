import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { createConsumer, openQueue, type FailureInfo, type JobQueue } from '../../shared/queue/index.js';
import { loadConfig } from '../../shared/config.js';
import type { InferencePayload } from '../../shared/queue/index.js';
import { TEST_REDIS_URL, cleanPrefix, uniquePrefix } from '../helpers/redis/test-redis.js';

// The consumer tells a job that stalled too often (BullMQ fails it without running its processor) from one whose
// processor failed, by the job's own record, not by the error's words: a processor error that says "stalled" is
// still a processor error.
const prefix = uniquePrefix('stall');
const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
let redis: Redis;
let queue: JobQueue<'inference'>;

const payload = (jobId: string): InferencePayload => ({ jobId, model: 'tiny', blobKey: `blob-${jobId}`, topK: 1 });

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = openQueue('inference', config, redis);
});
afterAll(async () => {
  await queue.close();
  await cleanPrefix(prefix);
  redis.disconnect();
});

it('a job that stalled too often fails as stalled, without its processor; a processor error saying "stalled" does not', async () => {
  await queue.add({ data: payload('job_stalls'), jobId: 'job_stalls' });
  // A worker that takes the job and dies with it: a manual fetch holds the lock and never renews it.
  const dying = new Worker(queue.name, null, { connection: redis, prefix, lockDuration: 300, autorun: false });
  const taken = await dying.getNextJob('dying-token');
  expect(taken?.id).toBe('job_stalls');
  await dying.close();

  const ran: string[] = [];
  const failed = new Map<string, FailureInfo>();
  const consumer = createConsumer('inference', async (job) => {
    ran.push(job.data.jobId);
    throw new Error('the disk stalled');
  }, config, redis, { concurrency: 1, lockDurationMs: 2_000, stalledIntervalMs: 200, maxStalledCount: 0 });
  consumer.onFailed((job, _err, info) => failed.set(job.data.jobId, info));
  consumer.onError(() => undefined);
  void consumer.run();
  try {
    const deadline = Date.now() + 15_000;
    while (!failed.has('job_stalls') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(failed.get('job_stalls')).toEqual({ stalled: true, final: true });
    expect(ran).not.toContain('job_stalls');

    await queue.add({ data: payload('job_fails'), jobId: 'job_fails' });
    while (!failed.has('job_fails') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ran).toContain('job_fails');
    expect(failed.get('job_fails')?.stalled).toBe(false);
  } finally {
    await consumer.close();
  }
}, 30_000);
