import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
});
afterAll(async () => {
  await stack?.stop();
});

describe('submit and poll', () => {
  it('gives each of 64 concurrent jobs its own answer, in batches', async () => {
    const images = await Promise.all(COLOURS.map((c) => solidImage(c.rgb)));
    // 8 of each colour, interleaved so every batch mixes colours: a result given to the wrong job shows.
    const order = Array.from({ length: 64 }, (_, i) => (i * 5) % 8);
    const submitted = await Promise.all(
      order.map(async (c) => {
        const res = await postImage(stack.url, images[c]!, { top_k: '3' }, { filename: `${COLOURS[c]!.name}.jpg` });
        expect(res.status).toBe(202);
        const body = (await res.json()) as { id: string; status: string };
        expect(res.headers.get('location')).toBe(`/v1/jobs/${body.id}`);
        expect(body.status).toBe('queued');
        return { id: body.id, colour: COLOURS[c]!.name };
      }),
    );
    const done = await Promise.all(submitted.map((s) => pollJob(stack.url, s.id)));
    done.forEach((job, i) => {
      expect(job.status).toBe('succeeded');
      expect(job.result.predictions).toHaveLength(3);
      expect(job.result.predictions[0].label).toBe(submitted[i]!.colour);
      expect(job.input.filename).toBe(`${submitted[i]!.colour}.jpg`);
      const confidences = job.result.predictions.map((p: { confidence: number }) => p.confidence);
      expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
      expect(confidences[0]).toBeGreaterThan(0.5);
      expect(confidences[0]).toBeLessThanOrEqual(1);
    });
    const sizes = done.map((j) => j.timings.batch_size as number);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
  });

  it('holds the request with Prefer: wait and answers 200 with the finished job', async () => {
    const res = await postImage(stack.url, await solidImage([250, 10, 10]), {}, { headers: { Prefer: 'wait=10' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    const job = (await res.json()) as Record<string, any>;
    expect(job.status).toBe('succeeded');
    expect(job.result.predictions[0].label).toBe('red');
    expect(job.result.predictions).toHaveLength(5);
    for (const k of ['queue_ms', 'preprocess_ms', 'inference_ms', 'total_ms', 'batch_size']) expect(job.timings[k]).toBeTypeOf('number');
    expect(job.started_at).not.toBeNull();
    expect(job.completed_at).not.toBeNull();
  });

  it('answers a wait with the very job a read gives (the view is built from the published end, not read back)', async () => {
    const png = await solidImage([240, 10, 10], { width: 640, height: 480, format: 'png' });
    const cut = Buffer.concat([png.subarray(0, png.length >> 1), png.subarray(png.length - 12)]);
    const fields = { top_k: '2', metadata: '{"user":"w","n":2}', priority: '3' };
    // A colour no other test sends: the answer must come from the model, not from the result cache at submit.
    for (const image of [await solidImage([13, 231, 17]), cut]) {
      const res = await postImage(stack.url, image, fields, { headers: { Prefer: 'wait=10' } });
      expect(res.status).toBe(200);
      const waited = (await res.json()) as Record<string, any>;
      expect(['succeeded', 'failed']).toContain(waited.status);
      expect(waited.started_at).not.toBeNull();
      expect(waited.result?.cached).toBeUndefined();
      const read = await (await fetch(`${stack.url}/v1/jobs/${waited.id}`)).json();
      expect(waited).toEqual(read);
    }
  });

  it('answers POST /predict synchronously, with the classic field name "file"', async () => {
    const res = await postImage(stack.url, await solidImage([10, 240, 10], { format: 'png' }), { top_k: '2' }, { field: 'file', path: '/predict' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions[0].label).toBe('green');
    expect(body.model).toEqual({ name: 'tiny-colour', version: '1' });
    expect(body.job_id).toMatch(/^job_/);
  });

  it('echoes metadata and keeps the filename as data', async () => {
    const res = await postImage(stack.url, await solidImage([10, 10, 240], { format: 'webp' }), { metadata: '{"user":"a","n":1}' }, { filename: '../../etc/passwd' });
    const job = await pollJob(stack.url, ((await res.json()) as { id: string }).id);
    expect(job.metadata).toEqual({ user: 'a', n: 1 });
    // Folders are kept (`inferq batch` sends sub/a.jpg), as data and relative only: no `..`, no leading `/`.
    expect(job.input.filename).toBe('etc/passwd');
    expect(job.input.content_type).toBe('image/webp');
    expect(job.result.predictions[0].label).toBe('blue');
  });

  it('returns the same job for a repeated Idempotency-Key and refuses a different request under it', async () => {
    const img = await solidImage([240, 240, 10]);
    const headers = { 'Idempotency-Key': `k-${Date.now()}` };
    const [a, b] = await Promise.all([postImage(stack.url, img, {}, { headers }), postImage(stack.url, img, {}, { headers })]);
    const statuses = [a.status, b.status].sort();
    // Parallel duplicates: one is accepted; the other gets the same job or is told the first is in flight.
    expect(statuses[0]).toBe(202);
    expect([202, 409]).toContain(statuses[1]);
    const accepted = a.status === 202 ? a : b;
    const first = (await accepted.json()) as { id: string };
    const other202 = accepted === a ? b : a;
    if (other202.status === 202) expect(((await other202.json()) as { id: string }).id).toBe(first.id);
    await pollJob(stack.url, first.id);
    const again = await postImage(stack.url, img, {}, { headers });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    const other = await postImage(stack.url, await solidImage([10, 240, 240]), {}, { headers });
    expect(other.status).toBe(422);
    expect(((await other.json()) as any).error.code).toBe('idempotency_mismatch');
  });

  it('fails a truncated JPEG (readable header, cut data) as invalid_image, without retries', async () => {
    const full = await solidImage([240, 10, 10], { width: 640, height: 480 });
    // Plainly truncated, the ingress sees the missing end marker and refuses it at once.
    expect((await postImage(stack.url, full.subarray(0, full.length >> 1))).status).toBe(422);
    // A PNG cut in half with its end chunk put back passes every header check; only decoding can tell, so
    // the job fails, once, as invalid_image.
    const png = await solidImage([240, 10, 10], { width: 640, height: 480, format: 'png' });
    const cut = Buffer.concat([png.subarray(0, png.length >> 1), png.subarray(png.length - 12)]);
    const res = await postImage(stack.url, cut, {}, { headers: { Prefer: 'wait=10' } });
    expect(res.status).toBe(200);
    const job = (await res.json()) as any;
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('invalid_image');
    expect(job.attempts).toBe(1);
    const predict = await postImage(stack.url, cut, {}, { path: '/predict' });
    expect(predict.status).toBe(422);
    expect(((await predict.json()) as any).error.code).toBe('invalid_image');
  });

  it('keeps hostile filenames only as cleaned data', async () => {
    const name = 'evil\u202Egpj.exe\u2066' + 'x'.repeat(10_000);
    const res = await postImage(stack.url, await solidImage([0, 0, 250]), {}, { filename: name, headers: { Prefer: 'wait=10' } });
    const job = (await res.json()) as any;
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.input.filename).toBe(('evilgpj.exe' + 'x'.repeat(10_000)).slice(0, 255));
    // A control character inside the multipart header is refused by the parser as a malformed body.
    const nul = await postImage(stack.url, await solidImage([0, 0, 250]), {}, { filename: 'a\u0000b.jpg' });
    expect([202, 400]).toContain(nul.status);
    if (nul.status === 202) expect(((await nul.json()) as any).input.filename).toBe('ab.jpg');
  });

  it('refuses to cancel a finished job', async () => {
    const res = await postImage(stack.url, await solidImage([0, 0, 0]), {}, { headers: { Prefer: 'wait=10' } });
    const job = (await res.json()) as { id: string; status: string };
    expect(job.status).toBe('succeeded');
    const c = await fetch(`${stack.url}/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(c.status).toBe(409);
    expect(((await c.json()) as any).error.code).toBe('not_cancelable');
  });

  it('reports models, info, health and readiness', async () => {
    const models = (await (await fetch(`${stack.url}/v1/models`)).json()) as any;
    expect(models.default).toBe('tiny-colour');
    expect(models.data[0]).toMatchObject({ name: 'tiny-colour', version: '1', labels_count: 8, input: { shape: [-1, 3, 224, 224] } });
    expect((await fetch(`${stack.url}/v1/models/nope`)).status).toBe(404);
    expect(((await (await fetch(`${stack.url}/info`)).json()) as any).name).toBe('tiny-colour');
    expect(await (await fetch(`${stack.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${stack.url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).workers).toBe(1);
  });
});
