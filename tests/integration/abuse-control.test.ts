import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.stop();
});
let img: Buffer;
beforeAll(async () => {
  img = await solidImage([200, 10, 10]);
});

describe('API keys', () => {
  let stack: Stack;
  let keysFile: string;
  beforeAll(async () => {
    keysFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-keys-')), 'keys');
    await fs.writeFile(keysFile, `# team keys\nalice:${sha('alice-secret-key')}\nbob:${sha('bob-secret-key')}\n`);
    stack = await startStack({ API_KEYS: `ci:${sha('ci-secret-key')}`, API_KEYS_FILE: keysFile });
    stacks.push(stack);
  });

  it('answers 401 without a key or with a wrong one, and lets valid keys through', async () => {
    const none = await postImage(stack.url, img);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.code).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await postImage(stack.url, img, {}, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${stack.url}/v1/models`)).status).toBe(401);
    expect((await postImage(stack.url, img, {}, { headers: { Authorization: 'Bearer ci-secret-key' } })).status).toBe(202);
    expect((await postImage(stack.url, img, {}, { headers: { 'X-API-Key': 'alice-secret-key' } })).status).toBe(202);
    // Probes and the API reference stay open for load balancers and people.
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
    expect((await fetch(`${stack.url}/openapi.json`)).status).toBe(200);
  });

  it('revokes a key when its line leaves the keys file, without a restart', async () => {
    const auth = { headers: { Authorization: 'Bearer bob-secret-key' } };
    expect((await fetch(`${stack.url}/v1/models`, auth)).status).toBe(200);
    await fs.writeFile(keysFile, `alice:${sha('alice-secret-key')}\n`);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(`${stack.url}/v1/models`, auth)).status).toBe(401);
    expect((await fetch(`${stack.url}/v1/models`, { headers: { 'X-API-Key': 'alice-secret-key' } })).status).toBe(200);
  });

  it('scopes idempotency keys per API key', async () => {
    const a = await postImage(stack.url, img, {}, { headers: { Authorization: 'Bearer ci-secret-key', 'Idempotency-Key': 'same' } });
    const b = await postImage(stack.url, img, {}, { headers: { 'X-API-Key': 'alice-secret-key', 'Idempotency-Key': 'same' } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(((await a.json()) as any).id).not.toBe(((await b.json()) as any).id);
  });
});

describe('rate limits', () => {
  it('holds across two API processes sharing Redis, per key, with 429 and Retry-After', async () => {
    const env = { API_KEYS: `a:${sha('key-a')},b:${sha('key-b')}`, RATE_LIMIT_REQUESTS: '5', RATE_LIMIT_WINDOW_SECONDS: '30' };
    const one = await startStack(env, { workers: 0 });
    stacks.push(one);
    // A second API on the same Redis prefix: the limit must hold in total, not per process.
    const { startApi } = await import('../../api/server.js');
    const { createLogger } = await import('../../shared/logger.js');
    const two = await startApi(one.config, createLogger('silent'));
    try {
      const keyA = { headers: { Authorization: 'Bearer key-a' } };
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await fetch(`${(i % 2 ? two : one).url}/v1/models`, keyA)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3);
      const limited = await fetch(`${two.url}/v1/models`, keyA);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-limit')).toBe('5');
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(((await limited.json()) as any).error.code).toBe('rate_limited');
      // Another key is not affected.
      expect((await fetch(`${one.url}/v1/models`, { headers: { Authorization: 'Bearer key-b' } })).status).toBe(200);
    } finally {
      await two.close();
    }
  });
});

describe('backpressure', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.api.ctx.queue.resume();
  });

  it('answers 503 overloaded over the high-water mark, enqueues nothing, and admits again below the low-water mark', async () => {
    stack = await startStack({ QUEUE_HIGH_WATER: '5', QUEUE_LOW_WATER: '2' }, { workers: 0 });
    stacks.push(stack);
    for (let i = 0; i < 5; i++) expect((await postImage(stack.url, img)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300)); // past the admission cache
    const t0 = Date.now();
    const refused = await postImage(stack.url, img);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as any).error.code).toBe('overloaded');
    expect(await stack.api.ctx.queue.count()).toBe(5);
    // Drain to 3 (above low water): still refused; to 1: admitted.
    const ids = (await stack.api.ctx.queue.bull.getJobs(['wait', 'prioritized'])).map((j) => j.id!);
    expect(ids).toHaveLength(5);
    for (const id of ids.slice(0, 2)) await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await postImage(stack.url, img)).status).toBe(503);
    for (const id of ids.slice(2, 4)) await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await postImage(stack.url, img)).status).toBe(202);
  });
});
