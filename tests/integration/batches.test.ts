import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { getBatch, openBatch, postImages, results, waitForBatch } from '../helpers/jobs/batch-client.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { Webhook } from 'standardwebhooks';

const SECRET = 'whsec_' + Buffer.from('inferq-batch-test-secret-012345').toString('base64');
let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let colours: Buffer[];

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '32' });
  colours = await Promise.all(COLOURS.map((c) => solidImage(c.rgb, { width: 96, height: 72 })));
});
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

/** n images named `<i>-<colour>.jpg`, colours interleaved, so every answer can be checked against its name. */
const named = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => {
    const c = (i + offset) % COLOURS.length;
    return { data: colours[c]!, name: `${i + offset}-${COLOURS[c]!.name}.jpg` };
  });

describe('batches', () => {
  it('creates and seals a batch from one multipart request; each result carries its filename and its answer', async () => {
    const res = await postImages(stack.url, '/v1/batches', named(24), { top_k: '2', webhook_url: sink.url('/ok'), metadata: '{"run":1}' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(res.headers.get('location')).toBe(`/v1/batches/${created.id}`);
    expect(created.status).toBe('processing');
    expect(created.counts.total).toBe(24);
    const done = await waitForBatch(stack.url, created.id);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ total: 24, queued: 0, processing: 0, succeeded: 24, failed: 0, canceled: 0 });
    expect(done.progress).toBe(1);
    expect(done.metadata).toEqual({ run: 1 });
    const { lines } = await results(stack.url, created.id);
    expect(lines).toHaveLength(24);
    const names = new Set<string>();
    for (const line of lines) {
      const r = JSON.parse(line);
      expect(r.status).toBe('succeeded');
      expect(r.filename.split('-')[1]).toBe(`${r.label}.jpg`);
      expect(r.predictions).toHaveLength(2);
      names.add(r.filename);
    }
    expect(names.size).toBe(24);
    const csv = await results(stack.url, created.id, 'csv');
    expect(csv.res.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.lines[0]).toBe('job_id,filename,status,label,confidence,error_code');
    expect(csv.lines).toHaveLength(25);
    // batch.completed reaches the receiver, signed, with the final counts.
    const hit = (await sink.waitFor('/ok', 1)).find((h) => String(h.headers['webhook-id']).includes(created.id))!;
    const event = new Webhook(SECRET).verify(hit.body, hit.headers as Record<string, string>) as any;
    expect(event.type).toBe('batch.completed');
    expect(event.data.counts.succeeded).toBe(24);
  });

  it('appends in many requests, refuses a bad file all-or-none, and refuses appends after seal', async () => {
    const b = await openBatch(stack.url, { top_k: 1 });
    expect(b.status).toBe('open');
    expect((await postImages(stack.url, `/v1/batches/${b.id}/images`, named(10))).status).toBe(200);
    const bad = [...named(3, 10), { data: Buffer.from('%PDF-1.4 not an image'), name: 'x.jpg' }];
    const refused = await postImages(stack.url, `/v1/batches/${b.id}/images`, bad);
    expect(refused.status).toBe(415);
    expect(((await refused.json()) as any).error.message).toMatch(/x\.jpg/);
    expect((await getBatch(stack.url, b.id)).counts.total).toBe(10);
    expect((await postImages(stack.url, `/v1/batches/${b.id}/images`, named(5, 10))).status).toBe(200);
    const sealed = await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' });
    expect(sealed.status).toBe(200);
    const late = await postImages(stack.url, `/v1/batches/${b.id}/images`, named(1, 20));
    expect(late.status).toBe(409);
    expect(((await late.json()) as any).error.code).toBe('batch_not_open');
    expect((await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' })).status).toBe(409);
    const done = await waitForBatch(stack.url, b.id);
    expect(done.counts).toMatchObject({ total: 15, succeeded: 15 });
    // Paginated item list: all 15 in append order, in pages of 4.
    const seen: string[] = [];
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page = (await (await fetch(`${stack.url}/v1/batches/${b.id}/jobs?limit=4&cursor=${cursor}`)).json()) as any;
      expect(page.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data.map((j: any) => j.input.filename));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual([...named(10).map((x) => x.name), ...named(5, 10).map((x) => x.name)]);
    const none = (await (await fetch(`${stack.url}/v1/batches/${b.id}/jobs?status=failed`)).json()) as any;
    expect(none).toEqual({ data: [], next_cursor: null });
    expect((await fetch(`${stack.url}/v1/batches/${b.id}/jobs?status=bogus`)).status).toBe(400);
  });

  it('answers 404 for unknown batches and 400 for a bad results format', async () => {
    expect((await fetch(`${stack.url}/v1/batches/bat_01JAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${stack.url}/v1/batches/nope/results`)).status).toBe(404);
    const b = await openBatch(stack.url);
    expect((await fetch(`${stack.url}/v1/batches/${b.id}/results?format=xml`)).status).toBe(400);
  });

  it('runs a 2,000-item batch with exact counts, partial results mid-way, and cancel stopping the rest', async () => {
    const b = await openBatch(stack.url);
    for (let i = 0; i < 2000; i += 100) {
      const r = await postImages(stack.url, `/v1/batches/${b.id}/images`, named(100, i));
      expect(r.status).toBe(200);
    }
    await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' });
    // Mid-way: some results are readable while the batch runs, and every line is right.
    let mid = await getBatch(stack.url, b.id);
    while (mid.counts.succeeded < 50) mid = await getBatch(stack.url, b.id);
    const partial = await results(stack.url, b.id);
    expect(partial.lines.length).toBeGreaterThanOrEqual(50);
    for (const line of partial.lines) {
      const r = JSON.parse(line);
      expect(r.filename.split('-')[1]).toBe(`${r.label}.jpg`);
    }
    const done = await waitForBatch(stack.url, b.id, 120_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ total: 2000, queued: 0, processing: 0, succeeded: 2000, failed: 0, canceled: 0 });
    const all = await results(stack.url, b.id);
    expect(all.lines).toHaveLength(2000);
    expect(new Set(all.lines.map((l) => JSON.parse(l).job_id)).size).toBe(2000);
    for (const line of all.lines) {
      const r = JSON.parse(line);
      expect(r.filename.split('-')[1]).toBe(`${r.label}.jpg`);
    }

    // Cancel: a second batch, canceled once some of it has run; what had not started is canceled, nothing is lost.
    const c = await openBatch(stack.url);
    await stack.api.ctx.queue.pause();
    for (let i = 0; i < 600; i += 100) await postImages(stack.url, `/v1/batches/${c.id}/images`, named(100, i));
    await fetch(`${stack.url}/v1/batches/${c.id}/seal`, { method: 'POST' });
    await stack.api.ctx.queue.resume();
    let running = await getBatch(stack.url, c.id);
    while (running.counts.succeeded < 20) running = await getBatch(stack.url, c.id);
    // Paused again before the cancel, so on a machine fast enough to run the rest in a blink, some items are
    // still waiting when it lands: workers finish what they hold, and fetch nothing more.
    await stack.api.ctx.queue.pause();
    const canceled = (await (await fetch(`${stack.url}/v1/batches/${c.id}/cancel`, { method: 'POST' })).json()) as any;
    await stack.api.ctx.queue.resume();
    expect(canceled.status).toBe('canceled');
    const end = await waitForBatch(stack.url, c.id);
    expect(end.status).toBe('canceled');
    expect(end.counts.canceled).toBeGreaterThan(0);
    expect(end.counts.succeeded + end.counts.failed + end.counts.canceled).toBe(600);
    expect(end.counts.queued + end.counts.processing).toBe(0);
    const lines = (await results(stack.url, c.id)).lines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(600);
    expect(lines.filter((l) => l.status === 'canceled')).toHaveLength(end.counts.canceled);
    expect((await stack.api.ctx.queue.counts('wait', 'prioritized', 'active')).prioritized).toBe(0);
  }, 180_000);

  it('lets a single job submitted after a large batch finish before the batch items queued ahead of it', async () => {
    // Paused, so the whole batch is queued ahead of the single job before any of it runs.
    await stack.api.ctx.queue.pause();
    try {
      const b = await openBatch(stack.url);
      for (let i = 0; i < 800; i += 100) await postImages(stack.url, `/v1/batches/${b.id}/images`, named(100, i));
      await fetch(`${stack.url}/v1/batches/${b.id}/seal`, { method: 'POST' });
      const single = postImage(stack.url, colours[4]!, {}, { headers: { Prefer: 'wait=30' } });
      await new Promise((r) => setTimeout(r, 200));
      await stack.api.ctx.queue.resume();
      const job = (await (await single).json()) as any;
      expect(job.status).toBe('succeeded');
      expect(job.result.predictions[0].label).toBe('red');
      const batchNow = await getBatch(stack.url, b.id);
      // Served ahead of the 800 queued items: at most the first fetch (worker concurrency) ran before it.
      expect(batchNow.counts.succeeded).toBeLessThan(100);
      await waitForBatch(stack.url, b.id, 120_000);
    } finally {
      await stack.api.ctx.queue.resume();
    }
  }, 180_000);
});
