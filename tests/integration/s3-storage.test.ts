import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { freePort } from '../../shared/free-port.js';
import { createLogger } from '../../shared/logger.js';
import { BlobMissingError, BlobUnavailableError } from '../../shared/storage.js';
import { S3BlobStore } from '../../shared/storage-s3.js';
import type { S3Settings } from '../../shared/config.js';
import { SwiftServer } from '../helpers/servers/swift-server.js';
import { SHARED, pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImages, waitForBatch } from '../helpers/jobs/batch-client.js';
import { uniquePrefix } from '../helpers/redis/test-redis.js';
import { until } from '../helpers/processes/cleanup.js';

// The S3 store against a real OpenStack Swift (s3api + tempauth), then the API and a worker on it.
let swift: SwiftServer;
let localDir: string;
const log = createLogger('silent');
beforeAll(async () => {
  swift = await SwiftServer.start();
  swift.useCredentials();
  localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-s3-local-'));
});
afterAll(async () => {
  await swift?.close();
  if (localDir) await fs.rm(localDir, { recursive: true, force: true });
});

const settings = (over: Partial<S3Settings> = {}): S3Settings => ({
  endpoint: swift.endpoint, bucket: swift.bucket, region: 'us-east-1', prefix: `${uniquePrefix('blob')}/`, forcePathStyle: true, timeoutMs: 2_000, ...over,
});
const files = async (dir: string) => (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());

async function realPhotos(n: number): Promise<Buffer[]> {
  const dir = path.join(SHARED, 'eval/imagenet-sample');
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.jpg') || f.endsWith('.JPEG')).sort().slice(0, n);
  return Promise.all(names.map((f) => fs.readFile(path.join(dir, f))));
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

describe('S3BlobStore on Swift', () => {
  it('stores, reads back byte for byte and deletes real photos, under its prefix only', async () => {
    const s3 = settings();
    const store = await new S3BlobStore(s3, localDir, log).init();
    const photos = await realPhotos(40);
    expect(photos.length).toBe(40);
    const putMs: number[] = [];
    const getMs: number[] = [];
    const keys: string[] = [];
    for (const p of photos) {
      let t = performance.now();
      keys.push(await store.put(p));
      putMs.push(performance.now() - t);
      t = performance.now();
      const back = await store.read(keys.at(-1)!);
      getMs.push(performance.now() - t);
      expect(back.equals(p)).toBe(true);
    }
    const kb = photos.reduce((a, p) => a + p.length, 0) / photos.length / 1024;
    console.log(`S3 on loopback Swift, ${photos.length} photos of ${kb.toFixed(0)} KiB on average: put p50 ${quantile(putMs, 0.5).toFixed(1)} ms p95 ${quantile(putMs, 0.95).toFixed(1)} ms, get p50 ${quantile(getMs, 0.5).toFixed(1)} ms p95 ${quantile(getMs, 0.95).toFixed(1)} ms`);
    expect((await swift.keys(s3.prefix)).sort()).toEqual(keys.map((k) => s3.prefix + k).sort());
    for (const k of keys) await store.delete(k);
    await store.delete(keys[0]!); // deleting twice is not an error
    expect(await swift.keys(s3.prefix)).toEqual([]);
  });

  it('reports a missing blob as BlobMissingError (ENOENT), never as the store being down', async () => {
    const store = await new S3BlobStore(settings(), localDir, log).init();
    const err = await store.read('0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobMissingError);
    expect((err as BlobMissingError).code).toBe('ENOENT');
    await expect(store.read('../../etc/passwd')).rejects.toThrow(/invalid blob key/);
  });

  it('adopt sends an upload temp file and removes it: no copy stays on local disk', async () => {
    const s3 = settings();
    const store = await new S3BlobStore(s3, localDir, log).init();
    const [photo] = await realPhotos(1);
    const tmp = store.tempPath();
    expect(tmp.startsWith(path.join(localDir, 'tmp'))).toBe(true);
    await fs.writeFile(tmp, photo!);
    const key = await store.adopt(tmp);
    expect(await files(localDir)).toEqual([]);
    expect((await store.read(key)).equals(photo!)).toBe(true);
    await store.delete(key);
  });

  it('sweeps objects older than the age, keeps young ones and keys that are not blobs', async () => {
    const s3 = settings();
    const store = await new S3BlobStore(s3, localDir, log).init();
    const old = await store.put(await solidImage([1, 2, 3]));
    await swift.s3().send(new PutObjectCommand({ Bucket: swift.bucket, Key: `${s3.prefix}notes.txt`, Body: 'not a blob' }));
    expect(await store.sweep(3_600_000)).toBe(0);
    // S3 times are whole seconds: wait until the objects are surely in the past, then sweep with age 0.
    await new Promise((r) => setTimeout(r, 1_100));
    const young = await new S3BlobStore({ ...s3, prefix: `${s3.prefix}x/` }, localDir, log).init().then((s) => s.put(Buffer.from('y')));
    expect(await store.sweep(0)).toBe(1);
    expect((await swift.keys(s3.prefix)).sort()).toEqual([`${s3.prefix}notes.txt`, `${s3.prefix}x/${young}`]);
    await expect(store.read(old)).rejects.toBeInstanceOf(BlobMissingError);
  });

  it('an unreachable store: put fails as 503 unavailable within its timeouts, delete leaves the blob to the sweep', async () => {
    const store = await new S3BlobStore(settings({ endpoint: `http://127.0.0.1:${await freePort()}` }), localDir, log).init();
    const err = await store.put(Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobUnavailableError);
    expect((err as BlobUnavailableError).status).toBe(503);
    expect((err as BlobUnavailableError).code).toBe('unavailable');
    await expect(store.read('0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(BlobUnavailableError);
    await expect(store.delete('0123456789abcdef0123456789abcdef')).resolves.toBeUndefined();
  });

  it('refuses to boot on a bucket that does not exist, saying which', async () => {
    await expect(new S3BlobStore(settings({ bucket: 'no-such-bucket' }), localDir, log).init()).rejects.toThrow(/S3 bucket no-such-bucket .*HTTP 404/);
  });
});

describe('the API and a worker on STORAGE=s3', () => {
  let stack: Stack;
  let idle: Stack;
  let prefix: string;
  let idlePrefix: string;
  beforeAll(async () => {
    prefix = `${uniquePrefix('stack')}/`;
    idlePrefix = `${uniquePrefix('idle')}/`;
    stack = await startStack({ ...swift.env, S3_PREFIX: prefix });
    // No worker: what is submitted stays queued, so cancels are deterministic.
    idle = await startStack({ ...swift.env, S3_PREFIX: idlePrefix }, { workers: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await idle?.stop();
  });

  it('runs jobs and a batch from the bucket and deletes each object when its job ends', async () => {
    const res = await postImage(stack.url, await solidImage([255, 0, 0]));
    expect(res.status).toBe(202);
    const job = await pollJob(stack.url, ((await res.json()) as { id: string }).id);
    expect(job.status).toBe('succeeded');
    expect(job.result.predictions[0].label).toBe('red');

    const colours: [string, [number, number, number]][] = [['green', [0, 255, 0]], ['blue', [0, 0, 255]], ['white', [255, 255, 255]]];
    const images = await Promise.all(colours.map(async ([name, rgb]) => ({ name: `${name}.png`, data: await solidImage(rgb) })));
    const b = await postImages(stack.url, '/v1/batches', images);
    expect(b.status).toBe(201);
    const done = await waitForBatch(stack.url, ((await b.json()) as { id: string }).id);
    expect(done.counts).toMatchObject({ total: 3, succeeded: 3 });
    // The worker deletes an object just after storing its job's end.
    await until('every object deleted', async () => (await swift.keys(prefix)).length === 0, 10_000);
    // Uploads passed through UPLOAD_DIR/tmp only: nothing is left on local disk.
    expect(await files(stack.uploadDir)).toEqual([]);
  });

  it('an image refused at submit leaves no object', async () => {
    const res = await postImage(stack.url, Buffer.from('not an image at all'));
    expect(res.status).toBe(415);
    expect(await swift.keys(prefix)).toEqual([]);
  });

  it('canceling a job and a batch deletes their objects', async () => {
    const before = (await swift.keys(idlePrefix)).length;
    const one = ((await (await postImage(idle.url, await solidImage([0, 255, 255]))).json()) as { id: string }).id;
    const images = await Promise.all([1, 2, 3, 4, 5].map(async (i) => ({ name: `${i}.png`, data: await solidImage([i * 40, 0, 0]) })));
    const batch = ((await (await postImages(idle.url, '/v1/batches', images)).json()) as { id: string }).id;
    expect((await swift.keys(idlePrefix)).length).toBe(before + 6);

    expect((await fetch(`${idle.url}/v1/jobs/${one}/cancel`, { method: 'POST' })).status).toBe(200);
    expect((await swift.keys(idlePrefix)).length).toBe(before + 5);
    const c = await fetch(`${idle.url}/v1/batches/${batch}/cancel`, { method: 'POST' });
    expect(c.status).toBe(200);
    expect(((await c.json()) as any).counts).toMatchObject({ total: 5, canceled: 5 });
    expect((await swift.keys(idlePrefix)).length).toBe(before);
  });
});
