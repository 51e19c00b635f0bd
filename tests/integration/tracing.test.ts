import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../shared/tracing.js';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { postImages, waitForBatch } from '../helpers/jobs/batch-client.js';

/**
 * OpenTelemetry across the queue, with the SDK's in-memory exporter: the API and the worker run in this process
 * (one tracer provider), so every span of both sides lands in one exporter. A job's trace runs from the HTTP
 * request through the enqueue, the queue wait, the job, its decode and result write, to the webhook attempt,
 * whose `traceparent` the receiver gets; a batch's model runs link to every job they served.
 */
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'inferq-test', exporter });
let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '200' });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
  await tracing?.shutdown();
});

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const one = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), `${name} in ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0]!;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

async function until(check: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tracing', () => {
  it('one connected trace from the request through the queue to the webhook, continuing the client traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const res = await postImage(stack.url, await solidImage([250, 5, 5]), { webhook_url: sink.url('/traced') }, { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await pollJob(stack.url, id)).status).toBe('succeeded');
    await sink.waitFor('/traced', 1);
    await until(() => spansOf(traceId).some((s) => s.name === 'webhook attempt'), 'the webhook attempt span');

    const spans = spansOf(traceId);
    const http = one(spans, 'POST /v1/jobs');
    const enqueue = one(spans, 'enqueue');
    const wait = one(spans, 'queue wait');
    const job = one(spans, 'job');
    const decode = one(spans, 'decode');
    const write = one(spans, 'result write');
    const attempt = one(spans, 'webhook attempt');
    expect(parentOf(http)).toBe(clientSpan);
    expect(http.attributes['http.response.status_code']).toBe(202);
    expect(parentOf(enqueue)).toBe(http.spanContext().spanId);
    expect(parentOf(wait)).toBe(enqueue.spanContext().spanId);
    expect(parentOf(job)).toBe(enqueue.spanContext().spanId);
    expect(job.attributes['inferq.job_id']).toBe(id);
    expect(parentOf(decode)).toBe(job.spanContext().spanId);
    expect(parentOf(write)).toBe(job.spanContext().spanId);
    expect(parentOf(attempt)).toBe(job.spanContext().spanId);

    // The receiver got the attempt's context, so its own spans join the trace.
    const received = sink.received.find((r) => r.path === '/traced')!;
    expect(received.headers.traceparent).toBe(`00-${traceId}-${attempt.spanContext().spanId}-01`);
    // The batch run this job was part of links to it.
    const runs = exporter.getFinishedSpans().filter((s) => s.name === 'batch run' && s.links.some((l) => l.context.spanId === job.spanContext().spanId));
    expect(runs).toHaveLength(1);
  });

  it('the model runs of a batch of 8 link to each of its 8 jobs exactly once', async () => {
    const images = await Promise.all(COLOURS.slice(0, 8).map(async (c, i) => ({ data: await solidImage(c.rgb), name: `${i}.png` })));
    const res = await postImages(stack.url, '/v1/batches', images);
    expect(res.status).toBe(201);
    const batch = (await res.json()) as { id: string };
    await waitForBatch(stack.url, batch.id);
    const http = exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/batches')!;
    expect(http).toBeDefined();
    await until(() => spansOf(http.spanContext().traceId).filter((s) => s.name === 'job').length === 8, '8 job spans');

    const jobs = spansOf(http.spanContext().traceId).filter((s) => s.name === 'job');
    const jobIds = new Set(jobs.map((s) => s.spanContext().spanId));
    expect(jobIds.size).toBe(8);
    const runs = exporter.getFinishedSpans().filter((s) => s.name === 'batch run' && s.links.some((l) => jobIds.has(l.context.spanId)));
    const linked = runs.flatMap((r) => r.links.map((l) => l.context.spanId));
    expect(linked.sort()).toEqual([...jobIds].sort());
    for (const r of runs) {
      expect(r.links).toHaveLength(Number(r.attributes['inferq.batch_size']));
      // A batch run is a trace of its own: it serves many.
      expect(r.parentSpanContext).toBeUndefined();
    }
  });
});
