import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SHARED, pollJob, postImage, startStack, type Stack } from '../helpers/stack.js';

// The real int8 MobileNetV2 on real photos, through the HTTP API.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2' });
});
afterAll(async () => {
  await stack?.stop();
});

const photo = (name: string) => fs.readFile(path.join(SHARED, 'models/test-images', name));

describe('MobileNetV2 end to end', () => {
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
});
