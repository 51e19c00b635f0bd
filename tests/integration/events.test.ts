/**
 * Server-Sent Events of jobs and batches against the real API on a real Redis. No worker runs: the test plays
 * the worker through the same Lua scripts (JobStore.markProcessing / finish), so every state change happens
 * when the test says and the exact event sequence can be asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages } from '../helpers/jobs/batch-client.js';
import { InferqClient, type Batch, type Job, type StreamEvent } from '../../client/inferq-client.js';

let stack: Stack;
let client: InferqClient;
let image: Buffer;

beforeAll(async () => {
  stack = await startStack({ SSE_KEEPALIVE_MS: '300' }, { workers: 0 });
  client = new InferqClient({ baseUrl: stack.url });
  image = await solidImage(COLOURS[0]!.rgb, { width: 64, height: 48 });
});
afterAll(async () => {
  await stack?.stop();
});

const now = () => new Date().toISOString();
const succeeded = { kind: 'succeeded' as const, predictions: [{ label: 'red', class_id: 0, confidence: 1 }], timings: { queue_ms: 1, preprocess_ms: 1, inference_ms: 1, total_ms: 3, batch_size: 1 } };

async function submit(): Promise<string> {
  const res = await postImage(stack.url, image);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Reads events one at a time, so the test can change the job between them. */
function reader<T>(events: AsyncGenerator<StreamEvent<T>>) {
  return {
    next: async () => {
      const r = await events.next();
      if (r.done) throw new Error('the stream closed');
      return r.value;
    },
    closed: async () => (await events.next()).done,
    stop: () => events.return(undefined),
  };
}

describe('job events', () => {
  it('sends the current state, one status event per change, then end, then closes; ids count up', async () => {
    const id = await submit();
    const s = reader(client.jobEvents(id));
    const first = await s.next();
    expect(first).toMatchObject({ event: 'status', id: '1', data: { id, status: 'queued' } });
    expect(first.data.queue_position).toBe(0);
    await stack.api.ctx.jobs.markProcessing(id, null, now(), 1);
    expect(await s.next()).toMatchObject({ event: 'status', id: '2', data: { status: 'processing', attempts: 1 } });
    // A retry is a change too (attempts moves).
    await stack.api.ctx.jobs.markProcessing(id, null, now(), 2);
    expect(await s.next()).toMatchObject({ event: 'status', id: '3', data: { status: 'processing', attempts: 2 } });
    await stack.api.ctx.jobs.finish(id, null, succeeded, now());
    expect(await s.next()).toMatchObject({ event: 'status', id: '4', data: { status: 'succeeded' } });
    const end = await s.next();
    expect(end).toMatchObject({ event: 'end', id: '5', data: { status: 'succeeded', result: { predictions: [{ label: 'red' }] } } });
    expect(await s.closed()).toBe(true);
  });

  it('resumes with Last-Event-ID: the current state again with later ids, and the end even when it came during the cut', async () => {
    const id = await submit();
    const a = reader(client.jobEvents(id));
    const first = await a.next();
    await a.stop();
    await stack.api.ctx.jobs.markProcessing(id, null, now(), 1);
    const b = reader(client.jobEvents(id, { lastEventId: first.id }));
    expect(await b.next()).toMatchObject({ event: 'status', id: '2', data: { status: 'processing' } });
    await b.stop();
    // The job ends while no one is connected: the resumed stream must not hide it.
    await stack.api.ctx.jobs.finish(id, null, { kind: 'failed', error: { code: 'decode_failed', message: 'x' } }, now());
    const c = reader(client.jobEvents(id, { lastEventId: '2' }));
    expect(await c.next()).toMatchObject({ event: 'status', id: '3', data: { status: 'failed' } });
    expect(await c.next()).toMatchObject({ event: 'end', id: '4', data: { status: 'failed', error: { code: 'decode_failed' } } });
    expect(await c.closed()).toBe(true);
  });

  it('writes the SSE wire format, with keep-alive comments while nothing changes', async () => {
    const id = await submit();
    const ctl = new AbortController();
    const res = await fetch(`${stack.url}/v1/jobs/${id}/events`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/: keep-alive\n\n/g) ?? []).length < 2) text += (await body.read()).value ?? '';
    ctl.abort();
    expect(text.startsWith('retry: 2000\n\nid: 1\nevent: status\ndata: {')).toBe(true);
    expect(text.match(/^event: /gm)).toHaveLength(1);
  });

  it('answers 404 for an unknown job and 406 to a client that takes only JSON', async () => {
    expect((await fetch(`${stack.url}/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV/events`)).status).toBe(404);
    const id = await submit();
    const res = await fetch(`${stack.url}/v1/jobs/${id}/events`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(406);
    expect(((await res.json()) as any).error.code).toBe('not_acceptable');
  });

  it('followJob resolves with the final job from the stream', async () => {
    const id = await submit();
    const seen: string[] = [];
    const done = client.followJob(id, { onUpdate: (j) => seen.push(j.status) });
    await waitFor(() => seen.length === 1);
    await stack.api.ctx.jobs.markProcessing(id, null, now(), 1);
    await waitFor(() => seen.length === 2);
    await stack.api.ctx.jobs.finish(id, null, succeeded, now());
    const job: Job = await done;
    expect(job.status).toBe('succeeded');
    expect(seen).toEqual(['queued', 'processing', 'succeeded', 'succeeded']);
  });
});

describe('batch events', () => {
  it('sends status, progress as items are appended, start and end, then end with the final counts', async () => {
    const b = await openBatch(stack.url);
    const s = reader(client.batchEvents(b.id));
    expect(await s.next()).toMatchObject({ event: 'status', data: { status: 'open', counts: { total: 0 } } });
    const res = await postImages(stack.url, `/v1/batches/${b.id}/images`, [0, 1, 2].map((i) => ({ data: image, name: `${i}.jpg` })));
    expect(res.status).toBe(200);
    expect(await s.next()).toMatchObject({ event: 'progress', data: { status: 'open', counts: { total: 3, queued: 3 } } });
    await client.sealBatch(b.id);
    expect(await s.next()).toMatchObject({ event: 'progress', data: { status: 'processing' } });
    const items = (await client.listBatchJobs(b.id)).data.map((j) => j.id);
    await stack.api.ctx.jobs.markProcessing(items[0]!, b.id, now(), 1);
    expect(await s.next()).toMatchObject({ event: 'progress', data: { counts: { processing: 1, queued: 2 } } });
    await stack.api.ctx.jobs.finish(items[0]!, b.id, succeeded, now());
    expect(await s.next()).toMatchObject({ event: 'progress', data: { counts: { succeeded: 1, processing: 0 } } });
    await client.cancelBatch(b.id);
    // Both queued items are canceled at once: one or two progress events, the last with every item ended.
    let e: StreamEvent<Batch>;
    do e = await s.next();
    while (e.event === 'progress' && e.data.counts.canceled < 2);
    expect(e).toMatchObject({ event: 'progress', data: { status: 'canceled', counts: { succeeded: 1, canceled: 2 } } });
    const end = await s.next();
    expect(end.event).toBe('end');
    expect(end.data.completed_at).not.toBeNull();
    expect(await s.closed()).toBe(true);
    // ids only grow.
    expect(Number(end.id)).toBeGreaterThan(5);
  });

  it('sends at most one progress event per 250 ms however fast items end, and never misses the end', async () => {
    const b = await openBatch(stack.url);
    await postImages(stack.url, `/v1/batches/${b.id}/images`, Array.from({ length: 60 }, (_, i) => ({ data: image, name: `${i}.jpg` })));
    await client.sealBatch(b.id);
    const items = (await client.listBatchJobs(b.id)).data.map((j) => j.id);
    const events: { at: number; e: StreamEvent<Batch> }[] = [];
    const following = (async () => {
      for await (const e of client.batchEvents(b.id)) events.push({ at: Date.now(), e });
    })();
    await waitFor(() => events.length === 1);
    for (const id of items) await stack.api.ctx.jobs.finish(id, b.id, succeeded, now());
    await following;
    const progress = events.filter((x) => x.e.event === 'progress');
    expect(progress.length).toBeLessThan(items.length);
    // Gaps measured at the receiver: transit can only move two events closer by its own jitter.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(150);
    const ended = progress.map((x) => x.e.data.counts.succeeded);
    expect([...ended].sort((x, y) => x - y)).toEqual(ended);
    expect(events.at(-1)!.e).toMatchObject({ event: 'end', data: { status: 'completed', counts: { succeeded: 60 } } });
  });
});

describe('shutdown', () => {
  it('closes open streams so the API stops at once; the client then resumes elsewhere', async () => {
    const own = await startStack({}, { workers: 0 });
    try {
      const res = await postImage(own.url, image);
      const { id } = (await res.json()) as { id: string };
      const s = reader(new InferqClient({ baseUrl: own.url }).jobEvents(id));
      await s.next();
      expect(own.api.ctx.events.streams('job')).toBe(1);
      expect(await own.api.close()).toBe(true);
      expect(await s.closed()).toBe(true);
    } finally {
      await own.stop();
    }
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
