import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SHARED, pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { postImages, results, waitForBatch } from '../helpers/jobs/batch-client.js';
import { SwiftServer } from '../helpers/servers/swift-server.js';
import { until } from '../helpers/processes/cleanup.js';

const photo = (name: string) => fs.readFile(path.join(SHARED, 'models/test-images', name));
const filesUnder = async (dir: string) => (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;

// The real int8 MobileNetV2 on real photos, through the HTTP API: once with images on the filesystem, once in
// an S3 bucket (a real OpenStack Swift, s3api), with 16 uploads in flight.
describe.each(['fs', 's3'] as const)('MobileNetV2 end to end (STORAGE=%s)', (storage) => {
  let stack: Stack;
  let swift: SwiftServer | undefined;
  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (storage === 's3') {
      swift = await SwiftServer.start();
      swift.useCredentials();
      env = { ...swift.env, S3_PREFIX: 'e2e/' };
    }
    stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2', ...env });
  });
  afterAll(async () => {
    await stack?.stop();
    await swift?.close();
  });
  /** Images still held by the store: none once every job has ended. */
  const stored = async () => (swift ? (await swift.keys()).length : filesUnder(path.join(stack.uploadDir, 'blobs')));

  it('classifies dog.jpg as a malamute or husky', async () => {
    const res = await postImage(stack.url, await photo('dog.jpg'), {}, { filename: 'dog.jpg' });
    expect(res.status).toBe(202);
    const job = await pollJob(stack.url, ((await res.json()) as { id: string }).id);
    expect(job.status).toBe('succeeded');
    expect(job.model).toEqual({ name: 'mobilenetv2', version: '12-int8' });
    expect(job.input).toMatchObject({ filename: 'dog.jpg', content_type: 'image/jpeg', width: 768, height: 576, bytes: 163759 });
    expect(job.result.predictions).toHaveLength(5);
    // 248 Eskimo dog, 249 malamute, 250 Siberian husky
    expect([248, 249, 250]).toContain(job.result.predictions[0].class_id);
    expect(job.result.predictions[0].label).toBe('malamute');
  });

  it('classifies eagle.jpg as a bald eagle through /predict', async () => {
    const res = await postImage(stack.url, await photo('eagle.jpg'), {}, { path: '/predict', field: 'file' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.predictions[0]).toMatchObject({ class_id: 22, label: 'bald eagle' });
  });

  it('reaches at least 70 % top-1 on the 250 labelled ImageNet photos', async () => {
    const dir = path.join(SHARED, 'eval/imagenet-sample');
    const rows = (await fs.readFile(path.join(dir, 'labels.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(250);
    let correct = 0;
    const t0 = Date.now();
    // 16 uploads in flight, like a client with a connection pool.
    const queue = [...rows];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          const res = await postImage(stack.url, await fs.readFile(path.join(dir, row[0]!)), {}, { filename: row[0]!, headers: { Prefer: 'wait=30' } });
          const job = (await res.json()) as any;
          const done = job.status === 'succeeded' ? job : await pollJob(stack.url, job.id);
          expect(done.status).toBe('succeeded');
          if (done.result.predictions[0].class_id === Number(row[1])) correct++;
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    console.log(`imagenet-sample: top-1 ${((100 * correct) / rows.length).toFixed(1)} %, ${(rows.length / seconds).toFixed(1)} images/s through HTTP`);
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.7);
  });

  it('runs a batch of real photos whose results carry their filenames and match their images', async () => {
    const dir = path.join(SHARED, 'eval/imagenet-sample');
    const rows = (await fs.readFile(path.join(dir, 'labels.csv'), 'utf8')).trim().split('\n').slice(1, 41).map((l) => l.split(','));
    const images = [
      { data: await photo('dog.jpg'), name: 'dog.jpg' },
      { data: await photo('eagle.jpg'), name: 'eagle.jpg' },
      ...(await Promise.all(rows.map(async (r) => ({ data: await fs.readFile(path.join(dir, r[0]!)), name: r[0]! })))),
    ];
    const res = await postImages(stack.url, '/v1/batches', images);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const done = await waitForBatch(stack.url, id);
    expect(done.counts).toMatchObject({ total: 42, succeeded: 42 });
    const lines = (await results(stack.url, id)).lines.map((l) => JSON.parse(l));
    const byName = new Map(lines.map((l) => [l.filename, l]));
    expect(byName.size).toBe(42);
    expect(byName.get('dog.jpg').label).toBe('malamute');
    expect(byName.get('eagle.jpg').label).toBe('bald eagle');
    let correct = 0;
    for (const r of rows) if (byName.get(r[0]!).predictions[0].class_id === Number(r[1])) correct++;
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.6);
    // Each line is the job it names: same file, same answer.
    for (const line of lines.slice(0, 10)) {
      const job = (await (await fetch(`${stack.url}/v1/jobs/${line.job_id}`)).json()) as any;
      expect(job.input.filename).toBe(line.filename);
      expect(job.batch_id).toBe(id);
      expect(job.result.predictions).toEqual(line.predictions);
    }
  });

  it('holds no image once every job has ended', async () => {
    await until('every stored image to be freed', async () => (await stored()) === 0, 10_000);
    expect(await filesUnder(path.join(stack.uploadDir, 'tmp'))).toBe(0);
  });
});
