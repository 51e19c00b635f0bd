import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';

// No worker runs here, so submitted jobs stay queued and cancel is deterministic.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({}, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('cancel', () => {
  it('cancels a queued job, frees its image, and refuses a second cancel', async () => {
    const res = await postImage(stack.url, await solidImage([200, 0, 0]));
    const { id } = (await res.json()) as { id: string };
    const blobs = path.join(stack.uploadDir, 'blobs');
    const countBlobs = async () => (await fs.readdir(blobs, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    expect(await countBlobs()).toBe(1);

    const c = await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(c.status).toBe(200);
    const job = (await c.json()) as Record<string, any>;
    expect(job.status).toBe('canceled');
    expect(job.completed_at).not.toBeNull();
    expect(await countBlobs()).toBe(0);
    expect(await stack.api.ctx.queue.has(id)).toBe(false);

    expect(((await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as any).status).toBe('canceled');
    const again = await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
  });

  it('tells a waiting job how many jobs are ahead of it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await postImage(stack.url, await solidImage([0, 0, 200]))).json()) as any).id);
    const positions = await Promise.all(ids.map(async (id) => ((await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as any).queue_position));
    expect(positions).toEqual([0, 1, 2]);
    for (const id of ids) await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
  });

  it('answers 404 for unknown and malformed job ids', async () => {
    for (const id of ['job_01JAAAAAAAAAAAAAAAAAAAAAAA', 'nope', '..%2F..%2Fetc']) {
      const r = await fetch(`${stack.url}/v1/jobs/${id}`);
      expect(r.status).toBe(404);
      expect(((await r.json()) as any).error.code).toBe('not_found');
      expect((await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(404);
    }
  });

  it('is not ready without a live worker, and /predict times out naming the job', async () => {
    const ready = await fetch(`${stack.url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as any).reasons[0]).toMatch(/no live worker/);
    const res = await postImage(stack.url, await solidImage([0, 200, 0]), {}, { headers: { Prefer: 'wait=1' } });
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).status).toBe('queued');
  });
});
