import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/processes/stack.js';
import { startImageServer, type ImageServer } from '../helpers/servers/image-server.js';

// Issue 15: a JSON-lines batch of 100,000 URLs is one request, streamed. No worker runs, so every accepted item
// waits in the fetch queue; the batch is canceled at the end, which must reach every one of them.
const LINES = 100_000;
const REFUSED_EVERY = 10_000;
let stack: Stack;
let server: ImageServer;

beforeAll(async () => {
  server = await startImageServer('127.0.0.2');
  stack = await startStack({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.2' }, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await server?.close();
});

async function batchTotals(): Promise<number[]> {
  const redis = stack.api.ctx.redis;
  const keys = (await redis.keys(`${stack.prefix}:batch:*`)).filter((k) => !/:(ended|items)$/.test(k));
  return Promise.all(keys.map(async (k) => Number(await redis.hget(k, 'total'))));
}

describe('JSON-lines batch of 100,000 URLs', () => {
  it('is created as the body streams in, with exact counts, a report of refused lines, and flat memory', { timeout: 600_000 }, async () => {
    let sent = 0;
    let seenMidway = -1;
    const liveHeap: number[] = [];
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === LINES / 2) {
          // Half the body sent: items must be in Redis already, before the request has ended.
          for (let i = 0; i < 2000 && seenMidway < 10_000; i++) {
            seenMidway = Math.max(0, ...(await batchTotals()));
            if (seenMidway < 10_000) await new Promise((r) => setTimeout(r, 25));
          }
        }
        // The live heap (after a full collection) at a quarter and three quarters of the body: flat if the API
        // keeps no per-line state beyond its chunk.
        if (sent === LINES / 4 || sent === (3 * LINES) / 4) {
          global.gc?.();
          liveHeap.push(process.memoryUsage().heapUsed);
        }
        let chunk = '';
        for (let i = 0; i < 1000 && sent < LINES; i++) {
          sent++;
          const url = sent % REFUSED_EVERY === 0 ? `http://10.0.0.1/${sent}.jpg` : `${server.url}/img/${sent}.jpg`;
          chunk += JSON.stringify({ image_url: url, custom_id: `item-${sent}`, metadata: { n: sent } }) + '\n';
        }
        controller.enqueue(encoder.encode(chunk));
        if (sent === LINES) controller.close();
      },
    });
    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    const started = Date.now();
    const res = await fetch(`${stack.url}/v1/batches?top_k=1`, {
      method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, duplex: 'half',
    } as RequestInit);
    clearInterval(sampler);
    const createdMs = Date.now() - started;
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    const refused = LINES / REFUSED_EVERY;
    expect(seenMidway).toBeGreaterThanOrEqual(10_000);
    expect(created.lines.accepted).toBe(LINES - refused);
    expect(created.lines.refused).toBe(refused);
    expect(created.lines.refused_lines.map((l: any) => l.line)).toEqual(Array.from({ length: refused }, (_, i) => (i + 1) * REFUSED_EVERY));
    expect(created.lines.refused_lines.every((l: any) => l.code === 'invalid_image_url')).toBe(true);
    expect(created.status).toBe('processing');
    expect(created.counts).toMatchObject({ total: LINES - refused, queued: LINES - refused, succeeded: 0, failed: 0 });
    expect(await stack.api.ctx.urls.fetchQueue.count()).toBe(LINES - refused);
    const page = (await (await fetch(`${stack.url}/v1/batches/${created.id}/jobs?limit=2`)).json()) as any;
    expect(page.data.map((j: any) => j.custom_id)).toEqual(['item-1', 'item-2']);
    expect(page.data[0].input.url).toBe(`${server.url}/img/1.jpg`);
    const mb = (n: number) => Math.round(n / 2 ** 20);
    // 50,000 lines went by between the two samples; held items would be ≥ 1 KiB each (50 MiB).
    expect(liveHeap).toHaveLength(2);
    expect(liveHeap[1]! - liveHeap[0]!).toBeLessThan(20 * 2 ** 20);
    console.log(
      `100,000-line batch: created in ${createdMs} ms; API process (in-process stack) RSS ${mb(baseline.rss)} → peak ${mb(peakRss)} MiB, ` +
        `heap ${mb(baseline.heapUsed)} → peak ${mb(peakHeap)} MiB; live heap at 25,000 and 75,000 lines ${liveHeap.map(mb).join(' and ')} MiB`,
    );

    const cancelStarted = Date.now();
    const canceled = (await (await fetch(`${stack.url}/v1/batches/${created.id}/cancel`, { method: 'POST' })).json()) as any;
    expect(canceled.counts).toMatchObject({ total: LINES - refused, canceled: LINES - refused, queued: 0 });
    expect(canceled.status).toBe('canceled');
    expect(await stack.api.ctx.urls.fetchQueue.count()).toBe(0);
    expect(server.connections).toBe(0);
    console.log(`canceling its ${LINES - refused} unfetched items took ${Date.now() - cancelStarted} ms`);
  });
});
