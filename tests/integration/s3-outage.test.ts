import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import fs from 'node:fs/promises';
import { createLogger } from '../../shared/logger.js';
import { startWorker } from '../../worker/server.js';
import { SwiftServer } from '../helpers/servers/swift-server.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { getBatch, openBatch, postImages, waitForBatch } from '../helpers/jobs/batch-client.js';
import { uniquePrefix } from '../helpers/redis/test-redis.js';
import { until } from '../helpers/processes/cleanup.js';

/**
 * R28: the object store down, or hanging, under the API and the workers. A real Swift is killed (kill -9) and
 * started again on the same ports and data, or frozen with SIGSTOP.
 */
let swift: SwiftServer;
const stacks: Stack[] = [];
beforeAll(async () => {
  swift = await SwiftServer.start();
  swift.useCredentials();
});
afterEach(async () => {
  swift.resume();
  if (!swift.running) await swift.start();
});
afterAll(async () => {
  for (const s of stacks) await s.stop();
  await swift?.close();
});

/** A stack on the bucket under a prefix of its own; short S3 timeouts so a hung store fails quickly. */
async function s3Stack(env: Record<string, string>, workers: number): Promise<{ stack: Stack; prefix: string }> {
  const prefix = `${uniquePrefix('r28')}/`;
  const stack = await startStack({ ...swift.env, S3_PREFIX: prefix, S3_TIMEOUT_MS: '1000', ...env }, { workers });
  stacks.push(stack);
  return { stack, prefix };
}

async function nothingQueued(stack: Stack): Promise<void> {
  const counts = await stack.api.ctx.queue.bull.getJobCounts();
  expect(Object.values(counts).reduce((a, n) => a + n, 0)).toBe(0);
  expect(await stack.api.ctx.redis.keys(`${stack.prefix}:job:*`)).toEqual([]);
}

const files = async (dir: string) => (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
const red = () => solidImage([255, 0, 0]);

describe('R28: the object store down or hanging', () => {
  it('store down: submits answer 503 unavailable with Retry-After, a batch append is refused whole, nothing is queued; back up, all works', async () => {
    onTestFailed(() => console.error(swift.log.tail(4_000)));
    const { stack, prefix } = await s3Stack({}, 1);
    const batch = await openBatch(stack.url);
    await swift.stop();

    const res = await postImage(stack.url, await red());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as any).error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/image store/) });
    const images = await Promise.all(COLOURS.slice(0, 3).map(async (c) => ({ name: `${c.name}.png`, data: await solidImage(c.rgb) })));
    const append = await postImages(stack.url, `/v1/batches/${batch.id}/images`, images);
    expect(append.status).toBe(503);
    expect((await getBatch(stack.url, batch.id)).counts.total).toBe(0);
    await nothingQueued(stack);
    expect(await files(stack.uploadDir)).toEqual([]);

    await swift.start();
    const again = await postImage(stack.url, await red());
    expect(again.status).toBe(202);
    expect((await pollJob(stack.url, ((await again.json()) as any).id)).result.predictions[0].label).toBe('red');
    expect((await postImages(stack.url, `/v1/batches/${batch.id}/images`, images)).status).toBe(200);
    expect((await fetch(`${stack.url}/v1/batches/${batch.id}/seal`, { method: 'POST' })).status).toBe(200);
    expect((await waitForBatch(stack.url, batch.id)).counts).toMatchObject({ total: 3, succeeded: 3 });
    await until('every object deleted', async () => (await swift.keys(prefix)).length === 0, 10_000);
  }, 120_000);

  it('store hanging (SIGSTOP): a submit answers 503 within the SDK timeouts, never hangs', async () => {
    const { stack } = await s3Stack({}, 0);
    swift.freeze();
    const res = await postImage(stack.url, await red());
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe('unavailable');
    await nothingQueued(stack);
    swift.resume();
    expect((await postImage(stack.url, await red())).status).toBe(202);
  }, 120_000);

  it('a worker retries the reads of jobs it took while the store was down, and runs them once it is back', async () => {
    onTestFailed(() => console.error(swift.log.tail(4_000)));
    const { stack, prefix } = await s3Stack({ BLOB_READ_RETRY_MS: '120000' }, 0);
    const ids: { id: string; colour: string }[] = [];
    for (const c of COLOURS.slice(0, 4)) {
      const res = await postImage(stack.url, await solidImage(c.rgb));
      expect(res.status).toBe(202);
      ids.push({ id: ((await res.json()) as any).id, colour: c.name });
    }
    await swift.stop();
    stack.workers.push(await startWorker(stack.config, createLogger('silent')));
    // Taken (processing) while the store is down: each is in the worker's read-retry loop.
    await until('the worker to take every job', async () => {
      const jobs = await Promise.all(ids.map(async ({ id }) => (await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as any));
      return jobs.every((j) => j.status === 'processing');
    }, 30_000);
    await swift.start();
    for (const { id, colour } of ids) {
      const job = await pollJob(stack.url, id, 60_000);
      expect(job.status).toBe('succeeded');
      expect(job.result.predictions[0].label).toBe(colour);
    }
    await until('every object deleted', async () => (await swift.keys(prefix)).length === 0, 10_000);
  }, 120_000);

  it('a worker stopped while its reads are retrying gives the jobs back within its shutdown budget; another runs them', async () => {
    const { stack, prefix } = await s3Stack({ BLOB_READ_RETRY_MS: '120000', WORKER_SHUTDOWN_TIMEOUT_MS: '20000' }, 0);
    const ids: string[] = [];
    for (const c of COLOURS.slice(4, 6)) ids.push(((await (await postImage(stack.url, await solidImage(c.rgb))).json()) as any).id);
    await swift.stop();
    const first = await startWorker(stack.config, createLogger('silent'));
    await until('the worker to take both jobs', async () => {
      const jobs = await Promise.all(ids.map(async (id) => (await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as any));
      return jobs.every((j) => j.status === 'processing');
    }, 30_000);
    // Without the closing check the reads would retry for 120 s and the drain would run out of its 20 s.
    expect(await first.close()).toBe(true);
    await swift.start();
    stack.workers.push(await startWorker(stack.config, createLogger('silent')));
    for (const [i, id] of ids.entries()) {
      const job = await pollJob(stack.url, id, 60_000);
      expect(job.status).toBe('succeeded');
      expect(job.result.predictions[0].label).toBe(COLOURS[4 + i]!.name);
    }
    await until('every object deleted', async () => (await swift.keys(prefix)).length === 0, 10_000);
  }, 120_000);

  it('a blob unreachable past BLOB_READ_RETRY_MS fails its job blob_unavailable; the object it left is swept', async () => {
    const { stack, prefix } = await s3Stack({ BLOB_READ_RETRY_MS: '1500' }, 0);
    const res = await postImage(stack.url, await red());
    const { id } = (await res.json()) as { id: string };
    await swift.stop();
    stack.workers.push(await startWorker(stack.config, createLogger('silent')));
    const job = await pollJob(stack.url, id, 60_000);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('blob_unavailable');
    expect(job.error.message).toMatch(/unreachable for 1.5 s/);

    await swift.start();
    // Its delete could not reach the store: the object stays until the sweep (run here with age 0).
    expect((await swift.keys(prefix)).length).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100)); // S3 times are whole seconds
    expect(await stack.api.ctx.blobs.sweep(0)).toBe(1);
    expect(await swift.keys(prefix)).toEqual([]);
  }, 120_000);
});
