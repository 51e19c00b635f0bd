import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { TEST_REDIS_URL, cleanPrefix } from '../helpers/redis/test-redis.js';
import { FaultStack } from '../helpers/processes/processes.js';
import { until } from '../helpers/processes/cleanup.js';

/**
 * Real API and worker processes exporting to a loopback OTLP/HTTP receiver this test runs, configured as an
 * operator would (OTEL_EXPORTER_OTLP_ENDPOINT): one trace holds the request, the queue wait, the job, the batch
 * run's link and the webhook attempt, across both services; the access and job lines carry its trace id next
 * to the request id.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: { traceId: string; spanId: string }[];
  service: string;
}

const spans: OtlpSpan[] = [];
let receiver: http.Server;
let endpoint: string;
let stack: FaultStack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;

beforeAll(async () => {
  // OTLP/HTTP with JSON bodies (what @opentelemetry/exporter-trace-otlp-http sends).
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const doc = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Omit<OtlpSpan, 'service'>[] }[] }[] };
      for (const rs of doc.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sink = await startWebhookSink();
  // Spans leave every 200 ms instead of the default 5 s, so the test does not wait.
  stack = await FaultStack.create(TEST_REDIS_URL, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'info', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (stack) await cleanPrefix(stack.prefix);
  await sink?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('tracing to an OTLP collector', () => {
  it('one trace across the API and the worker, with the trace id beside the request id in both logs', async () => {
    const api = await stack.startApi();
    const worker = await stack.startWorker();
    const res = await postImage(api.url, await solidImage([250, 5, 5]), { webhook_url: sink.url('/otlp') }, { headers: { 'X-Request-Id': 'abc' } });
    expect(res.status).toBe(202);
    await sink.waitFor('/otlp', 1);

    const http = await until('the request span', () => spans.find((s) => s.name === 'POST /v1/jobs'), 15_000);
    const traceId = http.traceId;
    const trace = () => spans.filter((s) => s.traceId === traceId);
    await until('the worker spans', () => ['queue wait', 'job', 'webhook attempt'].every((n) => trace().some((s) => s.name === n)), 15_000);
    const job = trace().find((s) => s.name === 'job')!;
    expect(http.service).toBe('inferq-api');
    expect(job.service).toBe('inferq-worker');
    expect(trace().find((s) => s.name === 'webhook attempt')!.parentSpanId).toBe(job.spanId);
    const run = await until('the batch run', () => spans.find((s) => s.name === 'batch run' && s.links?.some((l) => l.spanId === job.spanId && l.traceId === traceId)), 15_000);
    expect(run.service).toBe('inferq-worker');
    expect(sink.received.find((r) => r.path === '/otlp')!.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const line = (out: string, msg: string) =>
      out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === msg && l.request_id === 'abc');
    await until('the job line', () => line(worker.output, 'job finished'), 10_000);
    expect(line(api.output, 'request completed')).toMatchObject({ route: '/v1/jobs', trace_id: traceId });
    expect(line(worker.output, 'job finished')).toMatchObject({ status: 'succeeded', trace_id: traceId });

    // Exemplars: the latency buckets name the trace of a job they counted, in OpenMetrics; text stays plain.
    const om = await (await fetch(`${worker.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text();
    for (const h of ['inferq_job_end_to_end_seconds', 'inferq_job_queue_wait_seconds']) {
      expect(om).toMatch(new RegExp(`^${h}_bucket\\{[^}]*\\} 1 # \\{trace_id="${traceId}"\\} [0-9.e-]+ [0-9.]+$`, 'm'));
    }
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    expect(text).toMatch(/^inferq_job_end_to_end_seconds_bucket\{/m);
    expect(text).not.toContain('trace_id');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  }, 90_000);
});
