import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SHARED, pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { postImages, results, waitForBatch } from '../helpers/jobs/batch-client.js';

// Label sets on the real int8 MobileNetV2 and real photos: answers in the client's own classes (cat / dog /
// other), and the plain `{prediction, confidence, probabilities}` shape of the origin projects on /predict.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2' });
});
afterAll(async () => {
  await stack?.stop();
});

const EVAL = path.join(SHARED, 'eval/imagenet-sample');
const dogPhoto = () => fs.readFile(path.join(SHARED, 'models/test-images', 'dog.jpg'));
const catPhoto = () => fs.readFile(path.join(EVAL, 'n02123597_Siamese_cat.JPEG'));
const eaglePhoto = () => fs.readFile(path.join(SHARED, 'models/test-images', 'eagle.jpg'));
const sum = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);

describe('label sets end to end', () => {
  it('answers /predict with label_set=cats-vs-dogs in the origin projects\' shape: dog.jpg is dog, a Siamese is cat', async () => {
    for (const [photo, expected] of [[await dogPhoto(), 'dog'], [await catPhoto(), 'cat'], [await eaglePhoto(), 'other']] as const) {
      const res = await postImage(stack.url, photo, { label_set: 'cats-vs-dogs' }, { path: '/predict', field: 'file' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.prediction).toBe(expected);
      expect(Object.keys(body.probabilities).sort()).toEqual(['cat', 'dog', 'other']);
      expect(sum(body.probabilities)).toBeCloseTo(1, 4);
      expect(body.confidence).toBe(body.probabilities[expected]);
      expect(body.confidence).toBeGreaterThan(0.5);
      expect(body.label_set).toMatchObject({ name: 'cats-vs-dogs', prediction: expected });
      // The usual ImageNet answer is still there.
      expect(body.predictions).toHaveLength(5);
    }
  });

  it('answers /predict without a label set with the top-1 class and the top-k probabilities', async () => {
    const res = await postImage(stack.url, await eaglePhoto(), { top_k: '3' }, { path: '/predict' });
    const body = (await res.json()) as any;
    expect(body.prediction).toBe('bald eagle');
    expect(body.confidence).toBe(body.predictions[0].confidence);
    expect(Object.keys(body.probabilities)).toEqual(body.predictions.map((p: { label: string }) => p.label));
  });

  it('stores the label-set answer on the job, lists the sets on the model, and refuses an unknown set', async () => {
    const res = await postImage(stack.url, await dogPhoto(), { label_set: 'cats-vs-dogs' });
    expect(res.status).toBe(202);
    const queued = (await res.json()) as any;
    expect(queued.label_set).toBe('cats-vs-dogs');
    const job = await pollJob(stack.url, queued.id);
    expect(job.result.label_set).toMatchObject({ name: 'cats-vs-dogs', prediction: 'dog' });
    const plain = await pollJob(stack.url, ((await (await postImage(stack.url, await dogPhoto())).json()) as any).id);
    expect(plain.label_set).toBeNull();
    expect(plain.result.label_set).toBeUndefined();

    const model = (await (await fetch(`${stack.url}/v1/models/mobilenetv2`)).json()) as any;
    expect(model.label_sets).toEqual([{ name: 'cats-vs-dogs', classes: ['cat', 'dog', 'other'], groups: { cat: ['281-285'], dog: ['151-268'] } }]);

    const bad = await postImage(stack.url, await dogPhoto(), { label_set: 'birds-vs-planes' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: 'unknown_label_set', message: expect.stringContaining('cats-vs-dogs') });
    const files = await fs.readdir(stack.uploadDir, { recursive: true, withFileTypes: true });
    expect(files.filter((f) => f.isFile())).toEqual([]);
  });

  it('gives every batch item the batch\'s label set, in JSONL results and two more CSV columns', async () => {
    const images = [
      { data: await dogPhoto(), name: 'dog.jpg' },
      { data: await catPhoto(), name: 'cat.jpg' },
      { data: await eaglePhoto(), name: 'eagle.jpg' },
    ];
    const res = await postImages(stack.url, '/v1/batches', images, { label_set: 'cats-vs-dogs' });
    expect(res.status).toBe(201);
    const batch = (await res.json()) as any;
    expect(batch.label_set).toBe('cats-vs-dogs');
    expect((await waitForBatch(stack.url, batch.id)).counts.succeeded).toBe(3);
    const lines = (await results(stack.url, batch.id)).lines.map((l) => JSON.parse(l));
    const byName = Object.fromEntries(lines.map((l) => [l.filename, l.label_set.prediction]));
    expect(byName).toEqual({ 'dog.jpg': 'dog', 'cat.jpg': 'cat', 'eagle.jpg': 'other' });
    const csv = (await results(stack.url, batch.id, 'csv')).lines;
    expect(csv[0]).toBe('job_id,filename,status,label,confidence,error_code,label_set_prediction,label_set_confidence');
    expect(csv.find((l) => l.includes('cat.jpg'))).toMatch(/,cat,0\.\d+$/);
  });

  it('inferq eval --label-set cats-vs-dogs reports accuracy in the set\'s classes', async () => {
    // Every dog and cat photo of the eval sample plus ten others: a small set whose classes span all three groups.
    const rows = (await fs.readFile(path.join(EVAL, 'labels.csv'), 'utf8')).trim().split('\n').slice(1);
    const pets = rows.filter((r) => { const c = Number(r.split(',')[1]); return c >= 151 && c <= 285; });
    const others = rows.filter((r) => !pets.includes(r)).slice(0, 10);
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-eval-'));
    const labels = path.join(tmp, 'labels.csv');
    await fs.writeFile(labels, ['file,class_index,wnid,label', ...pets, ...others].join('\n') + '\n');
    const out = path.join(tmp, 'report.json');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.resolve('client/bin/inferq.js'), 'eval', EVAL, '--labels', labels, '--label-set', 'cats-vs-dogs', '--out', out], {
        env: { ...process.env, INFERQ_URL: stack.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Label set cats-vs-dogs: accuracy \d+\.\d %/);
    const report = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(report.label_set.images).toBe(pets.length + others.length);
    expect(Object.keys(report.label_set.confusion).sort()).toEqual(['cat', 'dog', 'other']);
    // Coarse classes are easier than 1,000: far above the model's top-1 on the same photos, on any CPU.
    expect(report.label_set.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.label_set.confusion.cat.cat).toBe(1);
    await fs.rm(tmp, { recursive: true, force: true });
  });
});
