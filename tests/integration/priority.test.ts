import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import { startWorker } from '../../worker/server.js';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages, waitForBatch } from '../helpers/jobs/batch-client.js';
import { TEST_REDIS_URL } from '../helpers/redis/test-redis.js';

// Priority on a real queue: 0..10, higher sooner, none = 5, FIFO within a level, and batch items (level 5) after
// the single jobs of their level. First read from BullMQ with no worker running, then proven by one worker
// taking one job at a time.

let stack: Stack;
let image: Buffer;
/** Single jobs in submission order; `p` is the priority sent (undefined: none). */
const submitted: { id: string; p?: number; label: string }[] = [];
let expected: string[];
let batchId: string;

beforeAll(async () => {
  stack = await startStack({ BATCH_MAX_SIZE: '1', WORKER_CONCURRENCY: '1' }, { workers: 0 });
  image = await solidImage([220, 30, 30]);
  // The batch goes in first: its items must still run after every single job of level 5 sent later.
  const batch = await openBatch(stack.url);
  const imgs = [0, 1, 2].map((i) => ({ data: image, name: `b${i}.jpg` }));
  expect((await postImages(stack.url, `/v1/batches/${batch.id}/images`, imgs)).status).toBe(200);
  await fetch(`${stack.url}/v1/batches/${batch.id}/seal`, { method: 'POST' });
  const singles: (number | undefined)[] = [0, undefined, 5, 10, 4, 0, undefined, 10, 5];
  for (const [i, p] of singles.entries()) {
    const res = await postImage(stack.url, image, p === undefined ? {} : { priority: String(p) });
    expect(res.status).toBe(202);
    submitted.push({ id: ((await res.json()) as { id: string }).id, p, label: `s${i}(${p ?? 'none'})` });
  }
  // The batch's items in append order.
  const items = (await (await fetch(`${stack.url}/v1/batches/${batch.id}/jobs`)).json()) as { data: { id: string }[] };
  const batchItems = items.data.map((j) => j.id);
  batchId = batch.id;
  const level = (p: number | undefined) => p ?? 5;
  const byLevel = (l: number) => submitted.filter((s) => level(s.p) === l).map((s) => s.id);
  expected = [...byLevel(10), ...byLevel(5), ...batchItems, ...byLevel(4), ...byLevel(0)];
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});
describe('priority', () => {
  it('queues in the order 10, 5 = none, batch items, 4, 0, first come first served within each', async () => {
    expect(submitted.length).toBe(9);
    expect(expected.length).toBe(12);
    // Nothing in BullMQ's un-prioritised wait list: it would run before everything prioritised.
    expect(await stack.api.ctx.queue.bull.getWaitingCount()).toBe(0);
    const queued = await stack.api.ctx.queue.bull.getPrioritized(0, -1);
    expect(queued.map((j) => j.id)).toEqual(expected);
    // queue_position tells a client the same order.
    const positions = await Promise.all(
      expected.map(async (id) => ((await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as { queue_position: number }).queue_position),
    );
    expect(positions).toEqual(expected.map((_, i) => i));
  });

  it('runs them in that order with one worker taking one job at a time', async () => {
    // Every job end is published on the job-events channel by the step that stores it: record their order
    // (starts and batch changes are published there too, for event streams).
    const sub = new Redis(TEST_REDIS_URL);
    const ended: string[] = [];
    try {
      await sub.subscribe(`${stack.prefix}:job-events`);
      sub.on('message', (_c, msg) => {
        const m = JSON.parse(msg) as { id?: string; status?: string };
        if (m.id && ['succeeded', 'failed', 'canceled'].includes(m.status ?? '')) ended.push(m.id);
      });
      stack.workers.push(await startWorker(stack.config, createLogger(stack.config.logLevel)));
      const deadline = Date.now() + 60_000;
      while (ended.length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const name = new Map(submitted.map((s) => [s.id, s.label]));
      expect(ended.map((id) => name.get(id) ?? 'batch')).toEqual(expected.map((id) => name.get(id) ?? 'batch'));
      expect(ended).toEqual(expected);
    } finally {
      sub.disconnect();
    }
    expect((await waitForBatch(stack.url, batchId)).counts).toMatchObject({ total: 3, succeeded: 3 });
  }, 90_000);
});
