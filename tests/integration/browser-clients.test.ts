/**
 * Browser clients: CORS (preflights, exposed headers), 405 with Allow, ETag/Cache-Control on finished jobs,
 * Retry-After on 202, and a real page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core,
 * which never downloads a browser) that uploads an image with fetch and follows it with EventSource to its end.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let stack: Stack;
let page: http.Server;
let origin: string;
let image: Buffer;

/** The page: it fetches its own image, submits it to the API (another origin) and follows it over SSE. */
function pageHtml(apiUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>inferq</title><script type="module">
const api = ${JSON.stringify(apiUrl)};
try {
  const image = await (await fetch('/image.jpg')).blob();
  const form = new FormData();
  form.append('image', image, 'image.jpg');
  // A custom header makes this a preflighted request: it only goes out if the API answers the OPTIONS.
  const res = await fetch(api + '/v1/jobs', { method: 'POST', body: form, headers: { 'Idempotency-Key': 'page-' + Date.now() } });
  const seen = { status: res.status, location: res.headers.get('Location'), requestId: res.headers.get('X-Request-Id'), retryAfter: res.headers.get('Retry-After'), events: [] };
  await res.json();
  await new Promise((resolve) => {
    const es = new EventSource(api + seen.location + '/events');
    es.addEventListener('status', (e) => seen.events.push({ event: 'status', id: e.lastEventId, status: JSON.parse(e.data).status }));
    es.addEventListener('end', (e) => {
      const job = JSON.parse(e.data);
      seen.events.push({ event: 'end', id: e.lastEventId, status: job.status, label: job.result?.predictions[0]?.label });
      es.close();
      resolve();
    });
  });
  window.__done = seen;
} catch (err) {
  window.__done = { error: String(err) };
}
</script>`;
}

beforeAll(async () => {
  image = await solidImage(COLOURS[0]!.rgb, { width: 64, height: 48 });
  let apiUrl = '';
  page = http.createServer((req, res) => {
    if (req.url === '/image.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(apiUrl));
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  stack = await startStack({ CORS_ORIGINS: `https://app.example.com, ${origin}`, RATE_LIMIT_REQUESTS: '1000' });
  apiUrl = stack.url;
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => page?.close(r));
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin, before auth, with the methods and the asked headers', async () => {
    const res = await fetch(`${stack.url}/v1/jobs`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,idempotency-key,prefer' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,idempotency-key,prefer');
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('exposes Location, X-Request-Id, Retry-After and the rate-limit headers to allowed origins only', async () => {
    const res = await postImage(stack.url, image, {}, { headers: { origin: 'https://app.example.com' } });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const exposed = res.headers.get('access-control-expose-headers')!.split(',');
    for (const h of ['Location', 'X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'ETag']) expect(exposed).toContain(h);
    expect(res.headers.get('retry-after')).toBe('1');
    const other = await fetch(`${stack.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers at all by default (and, no worker running there, a queued job is not cached)', async () => {
    const plain = await startStack({}, { workers: 0 });
    try {
      const res = await fetch(`${plain.url}/v1/models`, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${plain.url}/v1/jobs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('allow')).toMatch(/POST/);
      const queued = (await (await postImage(plain.url, image)).json()) as { id: string };
      expect((await fetch(`${plain.url}/v1/jobs/${queued.id}`)).headers.get('cache-control')).toBe('no-cache');
    } finally {
      await plain.stop();
    }
  });
});

describe('HTTP semantics', () => {
  it('answers 405 with Allow and the error shape for a method a path does not take; unknown paths stay 404', async () => {
    const job = (await (await postImage(stack.url, image)).json()) as { id: string };
    const cases: [string, string, string][] = [
      ['DELETE', `/v1/jobs/${job.id}`, 'GET, HEAD, OPTIONS'],
      ['PUT', '/v1/batches', 'POST, OPTIONS'],
      ['GET', `/v1/jobs/${job.id}/cancel`, 'POST, OPTIONS'],
      ['POST', '/v1/models', 'GET, HEAD, OPTIONS'],
    ];
    for (const [method, p, allow] of cases) {
      const res = await fetch(`${stack.url}${p}`, { method });
      expect(res.status, `${method} ${p}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('method_not_allowed');
      expect(body.request_id).toMatch(/^req_/);
    }
    expect((await fetch(`${stack.url}/v1/nothing-here`, { method: 'DELETE' })).status).toBe(404);
  });

  it('gives finished jobs an ETag and Cache-Control, and answers If-None-Match with 304', async () => {
    const { id } = (await (await postImage(stack.url, image)).json()) as { id: string };
    expect((await pollJob(stack.url, id)).status).toBe('succeeded');
    const res = await fetch(`${stack.url}/v1/jobs/${id}`);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    // Plain http: fetch adds `Cache-Control: no-cache` to a conditional request, which asks for a full answer.
    const again = await new Promise<http.IncomingMessage & { body: string }>((resolve, reject) => {
      http.get(`${stack.url}/v1/jobs/${id}`, { headers: { 'if-none-match': etag } }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += String(d))).on('end', () => resolve(Object.assign(r, { body })));
      }).on('error', reject);
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('a real browser page', () => {
  let browser: BrowserContext;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-chromium-'));
    browser = await chromium.launchPersistentContext(dataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('submits an image with fetch from another origin and follows it with EventSource to its end', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${origin}/`);
    await tab.waitForFunction(() => (window as unknown as { __done?: unknown }).__done !== undefined, undefined, { timeout: 30_000 });
    const seen = (await tab.evaluate(() => (window as unknown as { __done: unknown }).__done)) as any;
    expect(seen.error).toBeUndefined();
    expect(seen.status).toBe(202);
    expect(seen.location).toMatch(/^\/v1\/jobs\/job_/);
    expect(seen.requestId).toMatch(/^req_/);
    expect(seen.retryAfter).toBe('1');
    expect(seen.events[0]).toMatchObject({ event: 'status', id: '1' });
    expect(seen.events.at(-2)).toMatchObject({ event: 'status', status: 'succeeded' });
    expect(seen.events.at(-1)).toMatchObject({ event: 'end', status: 'succeeded', label: COLOURS[0]!.name });
    await tab.close();
  });

  it('is refused by the browser from an origin that is not allowed', async () => {
    const tab = await browser.newPage();
    // Same page server, but `localhost` is another origin than `127.0.0.1`.
    await tab.goto(`${origin.replace('127.0.0.1', 'localhost')}/`);
    await tab.waitForFunction(() => (window as unknown as { __done?: unknown }).__done !== undefined, undefined, { timeout: 30_000 });
    const seen = (await tab.evaluate(() => (window as unknown as { __done: unknown }).__done)) as any;
    expect(seen.error).toMatch(/TypeError|Failed to fetch/);
    await tab.close();
  });
});
