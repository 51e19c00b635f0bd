import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { SHARED, pollJob, startStack, type Stack } from '../helpers/processes/stack.js';
import { results, waitForBatch } from '../helpers/jobs/batch-client.js';
import { startImageServer, type ImageServer } from '../helpers/servers/image-server.js';
import { fetchImage, ImageFetchError } from '../../shared/image-fetch.js';

// R31. Two loopback servers: `allowed` on 127.0.0.2, the one host of OUTBOUND_ALLOWED_HOSTS, serves images and
// misbehaves on demand; `forbidden` listens on every loopback address (127.0.0.1, ::1, ::ffff:127.0.0.1) and
// must never see a connection, whatever spelling, name or redirect points at it.
let stack: Stack;
let allowed: ImageServer;
let forbidden: ImageServer;
let dog: Buffer;

beforeAll(async () => {
  dog = await fs.readFile(path.join(SHARED, 'models/test-images/dog.jpg'));
  const red = await solidImage([255, 0, 0], { width: 96, height: 72 });
  allowed = await startImageServer('127.0.0.2', { 'dog.jpg': dog, 'red.jpg': red });
  forbidden = await startImageServer('::', { 'red.jpg': red });
  stack = await startStack({
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.2', IMAGE_FETCH_TIMEOUT_MS: '3000', IMAGE_FETCH_IDLE_MS: '1000', MAX_UPLOAD_BYTES: String(4 << 20),
  });
});
afterAll(async () => {
  await stack?.stop();
  await allowed?.close();
  await forbidden?.close();
});

const postUrl = (image_url: string, extra: Record<string, unknown> = {}) =>
  fetch(`${stack.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url, ...extra }) });

async function runUrl(image_url: string, extra: Record<string, unknown> = {}) {
  const res = await postUrl(image_url, extra);
  expect(res.status, image_url).toBe(202);
  const job = (await res.json()) as any;
  expect(job.status).toBe('queued');
  expect(job.input.url).toBe(new URL(image_url).href);
  return pollJob(stack.url, job.id, 20_000);
}

describe('image_url (R31)', () => {
  it('refuses every spelling of a loopback, private or metadata address at submit, with no connection made', async () => {
    const p = forbidden.port;
    const urls = [
      `http://127.1:${p}/img/red.jpg`, `http://0x7f000001:${p}/img/red.jpg`, `http://2130706433:${p}/img/red.jpg`, `http://127.0.0.1:${p}/img/red.jpg`,
      `http://[::1]:${p}/img/red.jpg`, `http://[::ffff:127.0.0.1]:${p}/img/red.jpg`, 'http://169.254.169.254/latest/meta-data/iam',
      'http://10.0.0.1/x.jpg', `http://localhost:${p}/img/red.jpg`, `http://localhost.:${p}/img/red.jpg`,
      // `vm` resolves to 127.0.0.1 here (/etc/hosts): a name that is not a public DNS name is refused as well.
      `http://vm:${p}/img/red.jpg`, 'file:///etc/passwd', 'ftp://example.com/x.jpg', 'http://user:pw@example.com/x.jpg', 'not a url',
    ];
    for (const url of urls) {
      const res = await postUrl(url);
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as any).error.code, url).toBe('invalid_image_url');
      // The multipart form takes the same field, with the same answer.
      const form = new FormData();
      form.append('image_url', url);
      const viaForm = await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: form });
      expect(viaForm.status, url).toBe(400);
    }
    expect(await stack.api.ctx.urls.fetchQueue.count()).toBe(0);
    expect(forbidden.connections).toBe(0);
  });

  it('refuses at connect time a dotted name that resolves to loopback (DNS rebinding), before a socket opens', async () => {
    // No DNS server can be run here: the resolver stands in for one that answers 127.0.0.1 for a public-looking name.
    const resolve = ((_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const limits = { guard: { allowedHosts: [], resolve }, maxBytes: 1 << 20, timeoutMs: 2000, idleMs: 1000, maxRedirects: 3 };
    const err = await fetchImage(`http://images.rebind.example:${forbidden.port}/img/red.jpg`, limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageFetchError);
    expect((err as Error).message).toMatch(/non-public address \(127\.0\.0\.1\)/);
    expect(forbidden.connections).toBe(0);
  });

  it('fetches a real photo, checks and stores it like an upload, and runs it', async () => {
    const job = await runUrl(`${allowed.url}/img/dog.jpg`, { top_k: 3, metadata: { k: 1 } });
    expect(job.status).toBe('succeeded');
    expect(job.input).toMatchObject({ content_type: 'image/jpeg', bytes: dog.length, sha256: createHash('sha256').update(dog).digest('hex') });
    expect(job.input.width).toBeGreaterThan(0);
    expect(job.result.predictions).toHaveLength(3);
    expect(job.metadata).toEqual({ k: 1 });
    const red = await runUrl(`${allowed.url}/img/red.jpg`);
    expect(red.result.predictions[0].label).toBe('red');
  });

  it('follows a redirect only where the guard allows it: never into private space', async () => {
    const ok = await runUrl(`${allowed.url}/redirect?to=${encodeURIComponent('/img/red.jpg')}`);
    expect(ok.status).toBe('succeeded');
    for (const to of [`http://localhost:${forbidden.port}/img/red.jpg`, `http://127.0.0.1:${forbidden.port}/img/red.jpg`, 'http://169.254.169.254/latest/', 'http://10.0.0.1/']) {
      const job = await runUrl(`${allowed.url}/redirect?to=${encodeURIComponent(to)}`);
      expect(job.status, to).toBe('failed');
      expect(job.error.code).toBe('fetch_failed');
      expect(job.error.message).toMatch(/redirected to a refused URL/);
    }
    expect(forbidden.connections).toBe(0);
  });

  it('cuts a slow drip, a silent server and a 1 GB body at their limits; refuses HTML', async () => {
    const drip = await runUrl(`${allowed.url}/drip`);
    expect(drip.error).toMatchObject({ code: 'fetch_failed', message: expect.stringMatching(/within 3000 ms/) });
    const stall = await runUrl(`${allowed.url}/stall`);
    expect(stall.error).toMatchObject({ code: 'fetch_failed', message: expect.stringMatching(/no data for 1000 ms/) });
    const before = allowed.bodyBytes;
    const declared = await runUrl(`${allowed.url}/huge-declared`);
    expect(declared.error).toMatchObject({ code: 'fetch_failed', message: expect.stringMatching(/1073741824 bytes; the limit is 4194304/) });
    const huge = await runUrl(`${allowed.url}/huge`);
    expect(huge.error).toMatchObject({ code: 'fetch_failed', message: expect.stringMatching(/larger than the limit of 4194304/) });
    // Cut as soon as the limit passed: what the server got to write is the limit plus socket buffers, not 1 GB.
    expect(allowed.bodyBytes - before).toBeLessThan(64 << 20);
    const html = await runUrl(`${allowed.url}/html`);
    expect(html.error.code).toBe('unsupported_media_type');
    const missing = await runUrl(`${allowed.url}/missing`, { webhook_url: `${allowed.url}/hook`, webhook_events: 'job.failed' });
    expect(missing.error).toMatchObject({ code: 'fetch_failed', message: 'the server answered 404' });
    // The failure went through the usual end of a job: its webhook is delivered.
    for (let i = 0; i < 500 && !allowed.hooks.some((h) => h.data?.id === missing.id); i++) await new Promise((r) => setTimeout(r, 20));
    expect(allowed.hooks.filter((h) => h.data?.id === missing.id).map((h) => [h.type, h.data.error.code])).toEqual([['job.failed', 'fetch_failed']]);
  });

  it('creates a batch from JSON lines, reports refused lines by number, and carries custom_id into the results', async () => {
    const lines = [
      JSON.stringify({ image_url: `${allowed.url}/img/red.jpg`, custom_id: 'a-red', metadata: { n: 1 } }),
      JSON.stringify({ image_url: `${allowed.url}/img/dog.jpg`, custom_id: 'b-dog' }),
      '',
      JSON.stringify({ image_url: `${allowed.url}/html`, custom_id: 'c-html' }),
      '{not json',
      JSON.stringify({ image_url: `http://127.1:${forbidden.port}/img/red.jpg`, custom_id: 'd-loop' }),
      JSON.stringify({ custom_id: 'e-none' }),
    ].join('\n');
    const res = await fetch(`${stack.url}/v1/batches?top_k=2`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(created.counts.total).toBe(3);
    expect(created.lines.accepted).toBe(3);
    expect(created.lines.refused).toBe(3);
    expect(created.lines.refused_lines.map((l: any) => [l.line, l.code])).toEqual([[5, 'invalid_line'], [6, 'invalid_image_url'], [7, 'invalid_line']]);
    const done = await waitForBatch(stack.url, created.id);
    expect(done.counts).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    const out = (await results(stack.url, created.id)) as any;
    const byId = Object.fromEntries(out.lines.map((t: string) => JSON.parse(t)).map((l: any) => [l.custom_id, l]));
    expect(byId['a-red']).toMatchObject({ status: 'succeeded', label: 'red', image_url: `${allowed.url}/img/red.jpg` });
    expect(byId['b-dog'].status).toBe('succeeded');
    expect(byId['c-html']).toMatchObject({ status: 'failed', error_code: 'unsupported_media_type' });
    const csv = (await results(stack.url, created.id, 'csv')) as any;
    expect(csv.lines[0]).toBe('job_id,filename,status,label,confidence,error_code,image_url,custom_id');
    expect(csv.lines.some((l: string) => l.endsWith(',a-red'))).toBe(true);
    expect(forbidden.connections).toBe(0);
  });
});

describe('image_url on /predict', () => {
  it('waits for the fetch and the model, and answers a failed fetch as the client\'s error', async () => {
    const predict = (image_url: string) =>
      fetch(`${stack.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url }) });
    const ok = await predict(`${allowed.url}/img/red.jpg`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).prediction).toBe('red');
    const missing = await predict(`${allowed.url}/missing`);
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as any).error).toMatchObject({ code: 'fetch_failed', job_id: expect.stringMatching(/^job_/) });
    const html = await predict(`${allowed.url}/html`);
    expect(html.status).toBe(415);
    expect((await predict(`http://169.254.169.254/latest/`)).status).toBe(400);
  });
});

describe('JSON-lines batches that cannot be taken whole', () => {
  it('answers 413 for an over-long line and cancels the batch begun, so none of its items runs', async () => {
    const good = JSON.stringify({ image_url: `${allowed.url}/img/red.jpg` });
    const body = `${good}\n${good}\n${JSON.stringify({ image_url: `${allowed.url}/img/red.jpg`, custom_id: 'x'.repeat(9000) })}\n${good}\n`;
    const fetchedBefore = allowed.connections;
    const res = await fetch(`${stack.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('line_too_long');
    const redis = stack.api.ctx.redis;
    const keys = (await redis.keys(`${stack.prefix}:batch:*`)).filter((k) => !/:(ended|items)$/.test(k));
    const statuses = await Promise.all(keys.map((k) => redis.hmget(k, 'status', 'total', 'canceled')));
    // The batch of the test above completed; this one is canceled, with every item it took (none: the bad line came
    // before the first chunk of 500 was full).
    const refused = statuses.filter(([status]) => status === 'canceled');
    expect(refused).toHaveLength(1);
    expect(refused[0]![1]).toBe(refused[0]![2]);
    expect(allowed.connections).toBe(fetchedBefore);
  });
});

// Its own stack, with fetch limits far longer than the test: the image arrives only when the test releases it, so
// the cancel and the deadline surely come while the fetch is under way, whatever the machine's speed.
describe('image_url jobs waiting for their fetch', () => {
  let slow: Stack;
  beforeAll(async () => {
    slow = await startStack({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.2', IMAGE_FETCH_TIMEOUT_MS: '120000', IMAGE_FETCH_IDLE_MS: '120000' });
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it('cancel and deadlines still end them, exactly once; the image fetched afterwards is dropped', async () => {
    const post = async (extra: Record<string, unknown>) => {
      const res = await fetch(`${slow.url}/v1/jobs`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url: `${allowed.url}/hold/red.jpg`, ...extra }),
      });
      return ((await res.json()) as any).id as string;
    };
    const heldBefore = allowed.held;
    const toCancel = await post({});
    const toExpire = await post({ deadline_seconds: 1 });
    while (allowed.held < heldBefore + 2) await new Promise((r) => setTimeout(r, 20));
    const canceled = await fetch(`${slow.url}/v1/jobs/${toCancel}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as any).status).toBe('canceled');
    const expired = await pollJob(slow.url, toExpire, 30_000);
    expect(expired.error.code).toBe('deadline_exceeded');
    allowed.release();
    const fetchQueue = slow.api.ctx.urls.fetchQueue;
    while ((await fetchQueue.counts('active')).active + (await fetchQueue.count()) > 0) await new Promise((r) => setTimeout(r, 20));
    expect(((await (await fetch(`${slow.url}/v1/jobs/${toCancel}`)).json()) as any)).toMatchObject({ status: 'canceled', input: { sha256: '' } });
    expect(((await (await fetch(`${slow.url}/v1/jobs/${toExpire}`)).json()) as any).error.code).toBe('deadline_exceeded');
    expect(await slow.api.ctx.queue.count()).toBe(0);
    // Both images were fetched and then dropped: no blob is left behind.
    expect(await filesUnder(path.join(slow.uploadDir))).toEqual([]);
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

// No worker, so no fetch stage: the job waits in the fetch queue for as long as the test likes.
describe('an image_url job canceled before its fetch', () => {
  let idle: Stack;
  beforeAll(async () => {
    idle = await startStack({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.2' }, { workers: 0 });
  });
  afterAll(async () => {
    await idle?.stop();
  });

  it('is taken out of the fetch queue, not only marked canceled', async () => {
    const res = await fetch(`${idle.url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image_url: `${allowed.url}/red.jpg` }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as any).id as string;
    const fetchQueue = idle.api.ctx.urls.fetchQueue;
    expect(await fetchQueue.count()).toBe(1);
    const canceled = await fetch(`${idle.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as any).status).toBe('canceled');
    // BullMQ answers a removal of a job it does not have as done: the inference queue's "absent" must still lead
    // to the fetch queue, where the job really waits.
    expect(await fetchQueue.count()).toBe(0);
    expect(await idle.api.ctx.queue.count()).toBe(0);
  });
});
