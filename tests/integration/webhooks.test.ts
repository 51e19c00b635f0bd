import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';

const SECRET = 'whsec_' + Buffer.from('inferq-test-secret-0123456789abcdef').toString('base64');
let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let img: Buffer;

beforeAll(async () => {
  sink = await startWebhookSink();
  img = await solidImage([240, 10, 240]);
  stack = await startStack({
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE: '300ms,600ms',
    WEBHOOK_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

async function submit(path: string, fields: Record<string, string> = {}) {
  const res = await postImage(stack.url, img, { webhook_url: sink.url(path), ...fields });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Verifies a delivery with the standardwebhooks library, as a receiver would. */
function verify(r: { headers: Record<string, unknown>; body: string }) {
  const h = r.headers as Record<string, string>;
  return new Webhook(SECRET).verify(r.body, { 'webhook-id': h['webhook-id']!, 'webhook-timestamp': h['webhook-timestamp']!, 'webhook-signature': h['webhook-signature']! }) as any;
}

async function deliveries(id: string, n: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const job = await pollJob(stack.url, id);
    if ((job.webhook?.deliveries?.length ?? 0) >= n || Date.now() > deadline) return job.webhook.deliveries as any[];
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks', () => {
  it('delivers job.succeeded once, signed per Standard Webhooks, with the stored result', async () => {
    const id = await submit('/ok');
    const [hit] = await sink.waitFor('/ok', 1);
    const event = verify(hit!);
    expect(event.type).toBe('job.succeeded');
    expect(event.data.id).toBe(id);
    expect(event.data.status).toBe('succeeded');
    expect(event.data.result.predictions[0].label).toBe('magenta');
    expect(hit!.headers['webhook-id']).toBe(`msg_${id}_job_succeeded`);
    expect(hit!.headers['x-request-id']).toMatch(/^req_/);
    // A changed byte, another id or a stale timestamp fails verification.
    const h = hit!.headers as Record<string, string>;
    const wh = new Webhook(SECRET);
    expect(() => wh.verify(hit!.body.replace('magenta', 'magentb'), h)).toThrow();
    expect(() => wh.verify(hit!.body, { ...h, 'webhook-id': 'msg_other' })).toThrow();
    expect(() => wh.verify(hit!.body, { ...h, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600) })).toThrow();
    const d = await deliveries(id, 1);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ attempt: 1, status_code: 200, outcome: 'delivered', event: 'job.succeeded' });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.filter((r) => r.path === '/ok' && r.headers['webhook-id'] === hit!.headers['webhook-id'])).toHaveLength(1);
  });

  it('retries on the schedule with the same webhook-id and a fresh signature', async () => {
    const id = await submit('/fail/2');
    const hits = await sink.waitFor('/fail/2', 3);
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([`msg_${id}_job_succeeded`]));
    hits.forEach((h) => expect(verify(h).data.id).toBe(id));
    const gap1 = hits[1]!.at - hits[0]!.at;
    const gap2 = hits[2]!.at - hits[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(300);
    expect(gap1).toBeLessThan(1500);
    expect(gap2).toBeGreaterThanOrEqual(600);
    expect(gap2).toBeLessThan(2000);
    const d = await deliveries(id, 3);
    expect(d.map((x) => x.outcome)).toEqual(['failed', 'failed', 'delivered']);
    expect(d.map((x) => x.status_code)).toEqual([500, 500, 200]);
  });

  it('stops at once on 410 Gone', async () => {
    const id = await submit('/gone');
    await sink.waitFor('/gone', 1);
    const d = await deliveries(id, 1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(sink.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect(d[0]).toMatchObject({ status_code: 410, outcome: 'gone' });
  });

  it('never follows a redirect and gives up after the last scheduled attempt', async () => {
    const okBefore = sink.received.filter((r) => r.path === '/ok').length;
    const id = await submit('/redirect');
    await sink.waitFor('/redirect', 3);
    const d = await deliveries(id, 3);
    expect(d.map((x) => x.outcome)).toEqual(['failed', 'failed', 'gave_up']);
    await new Promise((r) => setTimeout(r, 800));
    expect(sink.received.filter((r) => r.path === '/redirect')).toHaveLength(3);
    expect(sink.received.filter((r) => r.path === '/ok')).toHaveLength(okBefore);
  });

  it('waits at least Retry-After before the next attempt', async () => {
    const id = await submit('/retry-after/2');
    const hits = await sink.waitFor('/retry-after/2', 2, 10_000);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(2000);
    expect((await deliveries(id, 2)).map((x) => x.outcome)).toEqual(['failed', 'delivered']);
  });

  it('cuts a hanging receiver at the timeout while inference goes on at normal speed', async () => {
    const id = await submit('/hang');
    await sink.waitFor('/hang', 1);
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => (await postImage(stack.url, img, {}, { headers: { Prefer: 'wait=10' } })).json() as Promise<any>),
    );
    expect(results.every((j) => j.status === 'succeeded')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    const d = await deliveries(id, 1);
    expect(d[0].outcome).toBe('failed');
    expect(d[0].status_code).toBeNull();
    expect(d[0].error).toMatch(/no answer within 1000 ms/);
    expect(d[0].duration_ms).toBeGreaterThanOrEqual(950);
    expect(d[0].duration_ms).toBeLessThan(2500);
  });

  it('sends only the subscribed events, started before succeeded', async () => {
    const id = await submit('/ok', { webhook_events: 'job.started,job.succeeded' });
    const deadline = Date.now() + 10_000;
    let mine: string[] = [];
    while (mine.length < 2 && Date.now() < deadline) {
      mine = sink.received.filter((r) => String(r.headers['webhook-id']).includes(id)).map((r) => verify(r).type);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(mine.sort()).toEqual(['job.started', 'job.succeeded']);
  });
});
