import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import { JobStore, deadlinesKey } from '../../shared/job-store.js';
import { BatchStore } from '../../shared/batch-store.js';
import { WebhookNotifier } from '../../shared/webhook-notifier.js';
import { JobLifecycle } from '../../shared/job-lifecycle.js';
import { QUEUES, openQueue } from '../../shared/queue/index.js';
import { startWorker } from '../../worker/server.js';
import { sweepDeadlines, type SweepDeps } from '../../api/deadline-sweep.js';
import { solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { getBatch, openBatch, postImages } from '../helpers/jobs/batch-client.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { TEST_REDIS_URL } from '../helpers/redis/test-redis.js';

// Deadlines on real Redis: a job not started by its deadline fails with deadline_exceeded, exactly once,
// whether the sweep or a worker's take decides it. The stack starts with no worker, so nothing runs unless a
// test starts one; sweeps are called with a clock past the deadlines, so no test waits for time to pass
// except the one proving the API's own timer.

let stack: Stack;
let image: Buffer;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let deps: SweepDeps;
let webhookQueue: ReturnType<typeof openQueue<'webhooks'>>;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, { workers: 0 });
  image = await solidImage([30, 200, 30]);
  const { ctx } = stack.api;
  webhookQueue = openQueue(QUEUES.webhooks, stack.config, ctx.redis);
  const notifier = new WebhookNotifier(webhookQueue, new BatchStore(ctx.redis, stack.prefix, stack.config.retentionSeconds));
  const lifecycle = new JobLifecycle({ jobs: ctx.jobs, blobs: ctx.blobs, metrics: ctx.metrics, events: notifier });
  deps = { jobs: ctx.jobs, queue: ctx.queue, lifecycle, logger: ctx.logger };
}, 60_000);
afterAll(async () => {
  await webhookQueue?.close();
  await stack?.stop();
  await sink?.close();
});

async function submit(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await postImage(stack.url, image, fields, { headers });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; deadline_at: string | null };
}
const job = async (id: string) => (await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as Record<string, any>;
const expiredCount = async (at: 'take' | 'sweep') =>
  (await stack.api.ctx.metrics.deadlineExpired.get()).values.filter((v) => v.labels.at === at).reduce((n, v) => n + v.value, 0);
const failedEvents = async (id: string) => await webhookQueue.has(`msg_${id}_job_failed`);

describe('deadlines: input', () => {
  it('takes deadline_seconds or Cancel-After, the earlier of the two, and refuses bad ones', async () => {
    const before = Date.now();
    // Far enough out that none of them is due in the sweeps below.
    const a = await submit({ deadline_seconds: '7000' });
    const b = await submit({ deadline_seconds: '7000' }, { 'Cancel-After': '1h' });
    const c = await submit({}, { 'Cancel-After': '1h30m' });
    const at = (j: { deadline_at: string | null }) => Date.parse(j.deadline_at!) - before;
    expect(at(a)).toBeGreaterThanOrEqual(7_000_000);
    expect(at(b)).toBeGreaterThanOrEqual(3_600_000);
    expect(at(b)).toBeLessThan(7_000_000);
    expect(at(c)).toBeGreaterThanOrEqual(5_400_000);
    expect(at(c)).toBeLessThan(7_000_000);
    expect((await job(a.id)).deadline_at).toBe(a.deadline_at);
    expect((await submit({})).deadline_at).toBeNull();
    // A batch opened with JSON takes it as a number, and the header too.
    const opened = (await openBatch(stack.url, { deadline_seconds: 7000 })) as { deadline_at?: string };
    expect(Date.parse(opened.deadline_at!) - before).toBeGreaterThanOrEqual(7_000_000);
    const byHeader = await fetch(`${stack.url}/v1/batches`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'cancel-after': '2h' } });
    expect(Date.parse(((await byHeader.json()) as { deadline_at: string }).deadline_at) - before).toBeGreaterThanOrEqual(7_200_000);
    for (const [fields, headers] of <[Record<string, string>, Record<string, string>][]>[
      [{ deadline_seconds: '0' }, {}], [{ deadline_seconds: '604801' }, {}], [{ deadline_seconds: '1.5' }, {}],
      [{}, { 'Cancel-After': '30' }], [{}, { 'Cancel-After': '0s' }], [{}, { 'Cancel-After': 'soon' }], [{}, { 'Cancel-After': '8d' }],
    ]) {
      const res = await postImage(stack.url, image, fields, { headers });
      expect(res.status, JSON.stringify([fields, headers])).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('invalid_field');
    }
  });
});

describe('deadlines: the sweep', () => {
  it('fails a queued job whose deadline has passed, once, and takes it out of the queue', async () => {
    const { id } = await submit({ deadline_seconds: '60', webhook_url: sink.url('/ok'), webhook_events: 'job.failed' });
    const blobKey = (await stack.api.ctx.jobs.get(id))!.blobKey;
    expect(await sweepDeadlines(deps, Date.now())).toBe(0); // not due yet
    expect((await job(id)).status).toBe('queued');
    const swept = await expiredCount('sweep');
    const later = Date.now() + 61_000;
    // Two sweeps at once, as two API processes would run them: one of them ends the job.
    const [n1, n2] = await Promise.all([sweepDeadlines(deps, later), sweepDeadlines(deps, later)]);
    expect(n1 + n2).toBeGreaterThanOrEqual(1);
    const j = await job(id);
    expect(j.status).toBe('failed');
    expect(j.error.code).toBe('deadline_exceeded');
    expect(j.started_at).toBeNull();
    expect(j.completed_at).not.toBeNull();
    expect(await stack.api.ctx.queue.has(id)).toBe(false);
    await expect(stack.api.ctx.blobs.read(blobKey)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await failedEvents(id)).toBe(true);
    expect(await stack.api.ctx.redis.zscore(deadlinesKey(stack.prefix), id)).toBeNull();
    expect((await sweepDeadlines(deps, later + 1000))).toBe(0);
    expect(await expiredCount('sweep')).toBe(swept + 1);
  });

  it('fails a batch whose deadline has passed: every item once, counts exact, batch.completed', async () => {
    const res = await postImages(stack.url, '/v1/batches', Array.from({ length: 5 }, (_, i) => ({ data: image, name: `${i}.jpg` })), {
      deadline_seconds: '120', webhook_url: sink.url('/ok'),
    });
    expect(res.status).toBe(201);
    const batch = (await res.json()) as any;
    expect(Date.parse(batch.deadline_at) - Date.now()).toBeGreaterThan(60_000);
    expect(await sweepDeadlines(deps, Date.now() + 121_000)).toBe(5);
    const after = await getBatch(stack.url, batch.id);
    expect(after.status).toBe('completed');
    expect(after.counts).toEqual({ total: 5, queued: 0, processing: 0, succeeded: 0, failed: 5, canceled: 0 });
    expect(await webhookQueue.has(`msg_${batch.id}_batch_completed`)).toBe(true);
    const items = (await (await fetch(`${stack.url}/v1/batches/${batch.id}/jobs`)).json()) as { data: Record<string, any>[] };
    expect(items.data.map((j) => j.error?.code)).toEqual(Array(5).fill('deadline_exceeded'));
    expect(items.data.every((j) => j.deadline_at === batch.deadline_at)).toBe(true);
    for (const j of items.data) expect(await stack.api.ctx.queue.has(j.id)).toBe(false);
  });

  it('runs on a timer in the API: a job whose deadline passes fails without anyone calling it', async () => {
    const { id } = await submit({}, { 'Cancel-After': '300ms' });
    const j = await pollJob(stack.url, id, 30_000);
    expect(j.status).toBe('failed');
    expect(j.error.code).toBe('deadline_exceeded');
  });
});

describe('deadlines: at take (R33)', () => {
  it('a deadline passing while a worker takes the job: exactly one end, counts exact, nothing runs', async () => {
    // 40 batch items, due; for each, a worker's take (the step that would start it) races two sweeps.
    const n = 40;
    const res = await postImages(stack.url, '/v1/batches', Array.from({ length: n }, (_, i) => ({ data: image, name: `${i}.jpg` })), {
      deadline_seconds: '30',
    });
    const batch = (await res.json()) as any;
    const items = (await (await fetch(`${stack.url}/v1/batches/${batch.id}/jobs?limit=100`)).json()) as { data: { id: string }[] };
    const ids = items.data.map((j) => j.id);
    const later = Date.now() + 31_000;
    // The worker's own connection, as in its process.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const workerJobs = new JobStore(redis, stack.prefix, stack.config.retentionSeconds);
      const [takes, s1, s2] = await Promise.all([
        Promise.all(ids.map((id) => workerJobs.markProcessing(id, batch.id, new Date(later).toISOString(), 1))),
        sweepDeadlines(deps, later),
        sweepDeadlines(deps, later),
      ]);
      expect(takes.filter((t) => t.ok)).toEqual([]); // none started
      const byTake = takes.filter((t) => t.expired).length;
      expect(byTake + s1 + s2).toBe(n); // each ended by exactly one of them
    } finally {
      redis.disconnect();
    }
    // What a worker whose take ended a job does next: completes its queue entry (the sweep removed the others).
    await Promise.all(ids.map((id) => stack.api.ctx.queue.remove(id)));
    const after = await getBatch(stack.url, batch.id);
    expect(after.counts).toEqual({ total: n, queued: 0, processing: 0, succeeded: 0, failed: n, canceled: 0 });
    expect(after.status).toBe('completed');
    expect(await stack.api.ctx.redis.zmscore(deadlinesKey(stack.prefix), ...ids)).toEqual(ids.map(() => null));
    const views = await stack.api.ctx.jobs.getMany(ids);
    expect(views.every((v) => v!.status === 'failed' && v!.error?.code === 'deadline_exceeded' && v!.started_at === null)).toBe(true);
  });

  it('a worker that reaches an expired job first fails it (one job.failed webhook) and never runs it', async () => {
    // As if no sweep had reached them yet: out of the index, so only the worker's take can decide.
    const submitted = [];
    for (let i = 0; i < 3; i++) {
      submitted.push(await submit({ webhook_url: sink.url('/ok/take'), webhook_events: 'job.completed' }, { 'Cancel-After': '3s' }));
    }
    await stack.api.ctx.redis.zrem(deadlinesKey(stack.prefix), ...submitted.map((s) => s.id));
    const lastDeadline = Math.max(...submitted.map((s) => Date.parse(s.deadline_at!)));
    while (Date.now() <= lastDeadline) await new Promise((r) => setTimeout(r, 50));
    const worker = await startWorker(stack.config, createLogger(stack.config.logLevel));
    stack.workers.push(worker);
    const ends = await Promise.all(submitted.map((s) => pollJob(stack.url, s.id)));
    for (const j of ends) {
      expect(j.status).toBe('failed');
      expect(j.error.code).toBe('deadline_exceeded');
      expect(j.started_at).toBeNull();
      expect(j.result).toBeNull();
    }
    const events = (await sink.waitFor('/ok/take', 3)).map((h) => JSON.parse(h.body) as { type: string; data: { id: string } });
    expect(events.map((e) => e.type)).toEqual(['job.failed', 'job.failed', 'job.failed']);
    expect(new Set(events.map((e) => e.data.id))).toEqual(new Set(submitted.map((s) => s.id)));
    const text = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
    const take = [...text.matchAll(/^inferq_jobs_deadline_expired_total\{[^}]*at="take"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(take).toBe(3);
  }, 60_000);
});

describe('deadlines: met', () => {
  it('a job started before its deadline runs as usual', async () => {
    expect(stack.workers.length).toBe(1); // started by the test above
    const { id } = await submit({ deadline_seconds: '600' });
    const j = await pollJob(stack.url, id);
    expect(j.status).toBe('succeeded');
    expect(j.deadline_at).not.toBeNull();
    // The index holds only jobs still waiting: a job leaves it when it starts.
    expect(await stack.api.ctx.redis.zscore(deadlinesKey(stack.prefix), id)).toBeNull();
  });
});
