/**
 * The result cache by content (R32) on the tiny colour model: a hit completes the job at submit (its own id,
 * record, webhook and batch accounting, no blob, no queue, no worker); opt-out, version, and a batch of 1,000
 * copies of one image that runs the model once.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages, waitForBatch } from '../helpers/jobs/batch-client.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { ResultCache } from '../../shared/result-cache.js';

const SECRET = 'whsec_' + Buffer.from('inferq-cache-test-secret-0123456').toString('base64');
let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({
    RESULT_CACHE_SECONDS: '3600', WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    MAX_BATCH_FILES_PER_REQUEST: '1000', BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '32',
  });
});
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

/** A colour image no other test of this file uses (the cache is keyed by the bytes). */
let seed = 0;
const freshImage = (colour = 4) => solidImage(COLOURS[colour]!.rgb, { width: 40 + ++seed, height: 30 });

async function metric(name: string, labels: Record<string, string>, url = stack.url): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}
/** Model runs of the worker so far (one per batch the batcher flushed). */
const modelRuns = () => metric('inferq_batch_flushes_total', {}, `http://127.0.0.1:${stack.workers[0]!.metricsPort}`);

async function computed(image: Buffer, fields: Record<string, string> = {}) {
  const res = await postImage(stack.url, image, fields);
  expect(res.status).toBe(202);
  const job = await pollJob(stack.url, ((await res.json()) as { id: string }).id);
  expect(job.status).toBe('succeeded');
  return job;
}

describe('result cache', () => {
  it('answers the second upload of an image at submit: own id, cached_from, queue_ms 0, no blob, no queue, no model', async () => {
    const image = await freshImage();
    const missesBefore = await metric('inferq_result_cache_total', { where: 'api', result: 'miss' });
    const first = await computed(image, { top_k: '3' });
    expect(first.result.cached).toBeUndefined();
    expect(await metric('inferq_result_cache_total', { where: 'api', result: 'miss' })).toBe(missesBefore + 1);
    const runs = await modelRuns();
    const hitsBefore = await metric('inferq_result_cache_total', { where: 'api', result: 'hit' });

    const res = await postImage(stack.url, image, { top_k: '3', webhook_url: sink.url('/cached'), metadata: '{"n":2}' });
    expect(res.status).toBe(200);
    const job = (await res.json()) as any;
    expect(job.id).not.toBe(first.id);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ status: 'succeeded', metadata: { n: 2 }, result: { cached: true, cached_from: first.id } });
    expect(job.result.predictions).toEqual(first.result.predictions);
    expect(job.timings.queue_ms).toBe(0);
    expect(job.started_at).toBeNull();
    expect(await metric('inferq_result_cache_total', { where: 'api', result: 'hit' })).toBe(hitsBefore + 1);
    // Never stored as a blob, never queued, no model run.
    expect((await stack.api.ctx.jobs.get(job.id))!.blobKey).toBe('');
    expect(await stack.api.ctx.queue.has(job.id)).toBe(false);
    expect(await modelRuns()).toBe(runs);
    // Its own record, readable like any job, and its own signed webhook.
    expect((await (await fetch(`${stack.url}/v1/jobs/${job.id}`)).json()) as any).toMatchObject({ status: 'succeeded', result: { cached: true } });
    const [hit] = await sink.waitFor('/cached', 1);
    const event = new Webhook(SECRET).verify(hit!.body, hit!.headers as Record<string, string>) as any;
    expect(event).toMatchObject({ type: 'job.succeeded', data: { id: job.id, status: 'succeeded' } });
  });

  it('slices the cached top 20 for any top_k', async () => {
    const image = await freshImage(2);
    const first = await computed(image, { top_k: '1' });
    const wide = (await (await postImage(stack.url, image, { top_k: '8' })).json()) as any;
    expect(wide.result.cached).toBe(true);
    // The tiny model has 8 classes: all of them, the top one first, the same as an uncached run computes.
    expect(wide.result.predictions).toHaveLength(8);
    expect(wide.result.predictions[0]).toEqual(first.result.predictions[0]);
    const fresh = await computed(image, { top_k: '8', cache: 'false' });
    expect(wide.result.predictions).toEqual(fresh.result.predictions);
  });

  it('runs the model for cache=false, and 400s a bad cache value', async () => {
    const image = await freshImage(3);
    await computed(image);
    const again = await computed(image, { cache: 'false' });
    expect(again.result.cached).toBeUndefined();
    expect(again.timings.batch_size).toBeGreaterThan(0);
    const bad = await postImage(stack.url, image, { cache: 'maybe' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: 'invalid_field' });
  });

  it('never serves an answer stored for another model version', async () => {
    const image = await freshImage(5);
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(image).digest('hex');
    const cache = new ResultCache(stack.api.ctx.redis, stack.prefix, 60);
    const planted = { job_id: 'job_01ARZ3NDEKTSV4RRFFQ69G5FAV', top_k: 20, predictions: [{ label: 'planted', class_id: 0, confidence: 1 }] };
    await cache.put({ sha256, model: { name: 'tiny-colour', version: 'old' }, labelSet: null }, planted);
    const job = await computed(image);
    expect(job.result.cached).toBeUndefined();
    expect(job.result.predictions[0].label).toBe('magenta');
    // The same entry under the served version is served (so the test above could have failed).
    const other = await freshImage(5);
    const otherSha = createHash('sha256').update(other).digest('hex');
    await cache.put({ sha256: otherSha, model: { name: 'tiny-colour', version: '1' }, labelSet: null }, planted);
    const served = (await (await postImage(stack.url, other)).json()) as any;
    expect(served.result).toMatchObject({ cached: true, cached_from: planted.job_id, predictions: [{ label: 'planted' }] });
  });

  it('keeps the wider entry, and a batch opened with cache: false runs every item', async () => {
    const cache = new ResultCache(stack.api.ctx.redis, stack.prefix, 60);
    const q = { sha256: 'f'.repeat(64), model: { name: 'tiny-colour', version: '1' }, labelSet: null };
    const preds = (n: number) => COLOURS.slice(0, n).map((c, i) => ({ label: c.name, class_id: i, confidence: 1 / (i + 2) }));
    await cache.put(q, { job_id: 'job_A', top_k: 8, predictions: preds(8) });
    await cache.put(q, { job_id: 'job_B', top_k: 2, predictions: preds(2) });
    expect(await cache.get(q, 8)).toMatchObject({ job_id: 'job_A', predictions: preds(8) });
    expect((await cache.get(q, 3))!.predictions).toEqual(preds(3));

    const image = await freshImage(1);
    const first = await computed(image);
    const b = (await (await fetch(`${stack.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cache: false }) })).json()) as any;
    await postImages(stack.url, `/v1/batches/${b.id}/images`, [0, 1, 2].map((i) => ({ data: image, name: `${i}.jpg` })));
    await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' });
    expect((await waitForBatch(stack.url, b.id)).counts.succeeded).toBe(3);
    const items = ((await (await fetch(`${stack.url}/v1/batches/${b.id}/jobs`)).json()) as any).data;
    expect(items.map((j: any) => j.result.cached ?? false)).toEqual([false, false, false]);
    expect(items.map((j: any) => j.result.predictions[0].label)).toEqual([first.result.predictions[0].label, first.result.predictions[0].label, first.result.predictions[0].label]);
  });

  it('runs the model once for a batch of 1,000 copies of one image, the counts exact', async () => {
    const image = await freshImage(6);
    const runs = await modelRuns();
    const b = await openBatch(stack.url);
    for (let i = 0; i < 2; i++) {
      const res = await postImages(stack.url, `/v1/batches/${b.id}/images`, Array.from({ length: 500 }, (_, j) => ({ data: image, name: `${i}-${j}.jpg` })));
      expect(res.status).toBe(200);
    }
    await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' });
    const done = await waitForBatch(stack.url, b.id, 120_000);
    expect(done.counts).toEqual({ total: 1000, queued: 0, processing: 0, succeeded: 1000, failed: 0, canceled: 0 });
    expect(await modelRuns()).toBe(runs + 1);
    const items: any[] = [];
    for (let cursor: string | null = '0'; cursor !== null; ) {
      const page = (await (await fetch(`${stack.url}/v1/batches/${b.id}/jobs?limit=1000&cursor=${cursor}`)).json()) as any;
      items.push(...page.data);
      cursor = page.next_cursor;
    }
    const computedOnce = items.filter((j) => !j.result.cached);
    expect(computedOnce).toHaveLength(1);
    for (const j of items) {
      expect(j.result.predictions[0].label).toBe('yellow');
      if (j.result.cached) expect(j.result.cached_from).toBe(computedOnce[0].id);
    }
  });
});
