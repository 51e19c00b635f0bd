/**
 * R30: 1,000 concurrent SSE subscribers, then 1,000 that vanish mid-stream. One Redis subscription per API
 * process whatever the number of streams; every stream gets its job's end; vanished clients leave nothing behind.
 * No worker runs: the test ends the jobs through the same Lua scripts a worker uses.
 */
import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { TEST_REDIS_URL } from '../helpers/redis/test-redis.js';

let stack: Stack;
let redis: Redis;
let image: Buffer;
const STREAMS = 1000;
const JOBS = 100;

beforeAll(async () => {
  stack = await startStack({ SSE_KEEPALIVE_MS: '1000' }, { workers: 0 });
  redis = new Redis(TEST_REDIS_URL);
  image = await solidImage(COLOURS[1]!.rgb, { width: 32, height: 32 });
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

interface RawStream {
  text: string;
  req: http.ClientRequest;
  first: Promise<void>;
  closed: Promise<void>;
}

/** A bare HTTP client per stream (no agent, no pooling), so the test can cut its socket like a vanished tab. */
function open(path: string): RawStream {
  const s = { text: '' } as RawStream;
  let gotFirst!: () => void;
  s.first = new Promise((r) => (gotFirst = r));
  s.closed = new Promise((resolve, reject) => {
    s.req = http.get(`${stack.url}${path}`, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        s.text += d;
        if (s.text.includes('event: status')) gotFirst();
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    s.req.on('error', (err) => (s.req.destroyed ? resolve() : reject(err)));
  });
  return s;
}

async function submitJobs(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(((await (await postImage(stack.url, image)).json()) as { id: string }).id);
  return ids;
}

/**
 * Subscribers of this API's channel, as Redis counts them (CLIENT LIST cannot tell this API's connections from
 * other tests' on a shared Redis; NUMSUB of our own channel can).
 */
async function subscriptions(): Promise<number> {
  const [, n] = (await redis.pubsub('NUMSUB', stack.api.ctx.jobs.channel)) as [string, number];
  return n;
}

/** vitest.config.ts starts test processes with --expose-gc. */
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc!();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('R30: many event streams', () => {
  it('serves 1,000 concurrent streams from one subscription, and every stream gets its end', async () => {
    expect(await subscriptions()).toBe(1);
    const ids = await submitJobs(JOBS);
    const streams = Array.from({ length: STREAMS }, (_, i) => open(`/v1/jobs/${ids[i % JOBS]}/events`));
    await Promise.all(streams.map((s) => s.first));
    expect(stack.api.ctx.events.streams('job')).toBe(STREAMS);
    expect(await subscriptions()).toBe(1);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`inferq_event_streams\\{kind="job",role="api"\\} ${STREAMS}`));
    const at = new Date().toISOString();
    for (const id of ids) await stack.api.ctx.jobs.finish(id, null, { kind: 'failed', error: { code: 'test', message: 'ended by the test' } }, at);
    await Promise.all(streams.map((s) => s.closed));
    for (const s of streams) {
      expect(s.text).toMatch(/event: end\ndata: \{[^\n]*"status":"failed"/);
      expect(s.text.match(/event: end/g)).toHaveLength(1);
    }
    await until(() => stack.api.ctx.events.streams('job') === 0);
    expect(await subscriptions()).toBe(1);
  });

  it('forgets 1,000 clients that vanish mid-stream: no streams left, one subscription, memory back', async () => {
    const ids = await submitJobs(JOBS);
    const before = await heapAfterGc();
    const streams = Array.from({ length: STREAMS }, (_, i) => open(`/v1/jobs/${ids[i % JOBS]}/events`));
    await Promise.all(streams.map((s) => s.first));
    const open1000 = await heapAfterGc();
    for (const s of streams) s.req.destroy();
    await until(() => stack.api.ctx.events.streams('job') === 0);
    expect(await subscriptions()).toBe(1);
    // The jobs end afterwards: nothing is left to write to, nothing throws.
    const at = new Date().toISOString();
    for (const id of ids) await stack.api.ctx.jobs.finish(id, null, { kind: 'failed', error: { code: 'test', message: 'x' } }, at);
    await new Promise((r) => setTimeout(r, 200));
    // The test's own client objects go too, so only what the server still holds is measured.
    streams.length = 0;
    const after = await heapAfterGc();
    // What 1,000 open streams held (client and server sides, both in this process) is given back.
    expect(open1000 - before).toBeGreaterThan(0);
    expect(after - before).toBeLessThan((open1000 - before) / 4);
    // And the hub still serves new streams.
    const again = open(`/v1/jobs/${ids[0]}/events`);
    await again.closed;
    expect(again.text).toMatch(/event: status[\s\S]*event: end/);
  });
});
