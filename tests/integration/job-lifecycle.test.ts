import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages } from '../helpers/jobs/batch-client.js';
import { JobLifecycle, type JobEvents } from '../../shared/job-lifecycle.js';
import { WebhookNotifier } from '../../shared/webhook-notifier.js';
import { QUEUES, openQueue, type JobQueue } from '../../shared/queue/index.js';
import { failUnqueued } from '../../api/use-cases/batches/index.js';
import { newJobId } from '../../shared/ids.js';
import type { BlobStore } from '../../shared/storage.js';
import type { NewJob } from '../../shared/job-types.js';

// The job lifecycle on real Redis, with no worker (items stay queued): every way a job ends counts it in
// inferq_jobs_finished_total, and however many callers race to end one job, its effects (metrics, blob delete,
// webhook event, batch completion) run once, for the one whose state change won.

let stack: Stack;
let webhooks: JobQueue<'webhooks'>;
beforeAll(async () => {
  stack = await startStack({}, { workers: 0 });
  webhooks = openQueue(QUEUES.webhooks, stack.config, stack.api.ctx.redis);
}, 60_000);
afterAll(async () => {
  await webhooks?.close();
  await stack?.stop();
});

/** The sum of inferq_jobs_finished_total (or one of its statuses) in the API's registry. */
async function finished(status?: string): Promise<number> {
  const { values } = await stack.api.ctx.metrics.jobsFinished.get();
  return values.filter((v) => status === undefined || v.labels.status === status).reduce((sum, v) => sum + v.value, 0);
}

async function failures(code: string): Promise<number> {
  const { values } = await stack.api.ctx.metrics.jobFailures.get();
  return values.filter((v) => v.labels.code === code).reduce((sum, v) => sum + v.value, 0);
}

/** A batch of `n` uploaded items, queued and sealed; returns its id and its items' ids. */
async function queuedBatch(n: number): Promise<{ id: string; items: string[] }> {
  const { id } = await openBatch(stack.url);
  const images = await Promise.all(Array.from({ length: n }, (_, i) => solidImage([i * 40, 90, 200 - i * 40])));
  const res = await postImages(stack.url, `/v1/batches/${id}/images`, images.map((data, i) => ({ data, name: `${i}.png` })));
  expect(res.status).toBe(200);
  expect((await fetch(`${stack.url}/v1/batches/${id}/seal`, { method: 'POST' })).status).toBe(200);
  return { id, items: await stack.api.ctx.batch.batches.items(id, 0, n) };
}

describe('job lifecycle', () => {
  it('counts every item a batch cancel ends as finished, canceled', async () => {
    const { id } = await queuedBatch(3);
    const before = await finished('canceled');
    const res = await fetch(`${stack.url}/v1/batches/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { counts: { canceled: number } }).counts.canceled).toBe(3);
    expect((await finished('canceled')) - before).toBe(3);
  });

  it('counts the items a queue refused as finished, failed with enqueue_failed', async () => {
    const { ctx } = stack.api;
    const { id } = await openBatch(stack.url);
    const spec = ctx.models.get(ctx.models.defaultName)!;
    const job: NewJob = {
      id: newJobId(), model: { name: spec.name, version: spec.version }, createdAt: new Date().toISOString(),
      input: { filename: 'x.png', content_type: 'image/png', bytes: 1, width: 1, height: 1, sha256: 'none' },
      topK: 1, labelSet: null, blobKey: '', metadata: {}, priority: null, deadlineAt: null, batchId: id, requestId: null, webhook: null,
    };
    expect(await ctx.batch.batches.append(id, [job])).toBe('ok');
    const [failedBefore, codeBefore] = [await finished('failed'), await failures('enqueue_failed')];
    await failUnqueued(ctx.batch, id, [job]);
    expect((await ctx.jobs.get(job.id))?.view.status).toBe('failed');
    expect((await finished('failed')) - failedBefore).toBe(1);
    expect((await failures('enqueue_failed')) - codeBefore).toBe(1);
  });

  it('runs the effects of an end once, for the one caller whose state change won', async () => {
    const { ctx } = stack.api;
    const { id: batchId, items } = await queuedBatch(1);
    const jobId = items[0]!;
    const stored = (await ctx.jobs.get(jobId))!;
    expect(await ctx.queue.remove(jobId)).toBe('removed');

    // The real store and notifier, with every call they get written down.
    const deleted: string[] = [];
    const blobs: BlobStore = Object.assign(Object.create(ctx.blobs) as BlobStore, {
      delete: async (key: string) => {
        deleted.push(key);
        await ctx.blobs.delete(key);
      },
    });
    const notifier = new WebhookNotifier(webhooks, ctx.batch.batches);
    const told: string[] = [];
    const events: JobEvents = {
      jobChanged: async (job, status, requestId) => {
        told.push(`${job.id} ${status}`);
        await notifier.jobChanged(job, status, requestId);
      },
      batchEnded: async (id) => {
        told.push(`batch ${id}`);
        await notifier.batchEnded(id);
      },
    };
    const lifecycle = new JobLifecycle({ jobs: ctx.jobs, blobs, metrics: ctx.metrics, events });
    const ending = { id: jobId, model: stored.view.model.name, batchId };
    const timings = { queue_ms: 1, preprocess_ms: 1, inference_ms: 1, total_ms: 3, batch_size: 1 };

    const before = await finished();
    const ends = await Promise.all([
      lifecycle.finish(ending, { kind: 'failed', error: { code: 'inference_error', message: 'first' } }),
      lifecycle.finish(ending, { kind: 'succeeded', predictions: [], timings }),
      lifecycle.cancel(ending),
      lifecycle.cancel(ending),
      lifecycle.expire(ending, Date.now()),
    ]);
    const winners = ends.filter((e) => e.ok);
    expect(winners).toHaveLength(1);
    const status = (await ctx.jobs.get(jobId))!.view.status;
    expect(winners[0]!.view?.status).toBe(status);
    expect((await finished()) - before).toBe(1);
    expect(deleted).toEqual([stored.blobKey]);
    expect(told).toEqual([`${jobId} ${status}`, `batch ${batchId}`]);
    expect((await fetch(`${stack.url}/v1/batches/${batchId}`).then((r) => r.json()) as { completed_at: string | null }).completed_at).not.toBeNull();
  });
});
