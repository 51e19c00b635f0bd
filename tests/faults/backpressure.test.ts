/**
 * R24: backpressure. With QUEUE_HIGH_WATER / QUEUE_LOW_WATER set (jobs waiting + prioritized), a submit while
 * the queue is over its high-water mark answers 503 `overloaded` with Retry-After at once, and writes nothing
 * (no job record, no queue entry, no blob); admission resumes only once the queue is below the low-water mark.
 *
 * The API may cache the depth for a moment (api/backpressure.ts: 250 ms, so a burst costs one Redis call); near
 * the mark the test paces its submits PACE_MS apart so each check sees the real depth and the mark is exact.
 *
 * No worker runs at first, so the queue only fills. It is brought down between the marks, then below the low one,
 * by canceling queued jobs through the API (a cancel removes the job from the queue); finally a worker starts
 * and every accepted job that was not canceled succeeds.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultEnv, type FaultEnv } from '../helpers/processes/fault-env.js';
import { colourImages, submitImage, wrongResult, type SubmitAnswer, type Submitted } from '../helpers/jobs/jobs.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

const HIGH = 20;
const LOW = 10;
const PACE_MS = 400;

async function queueDepth(f: FaultEnv): Promise<number> {
  const p = f.stack.prefix;
  const [wait, prioritized] = await Promise.all([f.probe.redis.llen(`${p}:inference:wait`), f.probe.redis.zcard(`${p}:inference:prioritized`)]);
  return wait + prioritized;
}

async function blobCount(f: FaultEnv): Promise<number> {
  const entries = await fs.readdir(path.join(f.stack.uploadDir, 'blobs'), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

function expectOverloaded(r: SubmitAnswer) {
  expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 503, code: 'overloaded' });
  expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
  // "At once": no waiting for room, no slow path.
  expect(r.ms).toBeLessThan(500);
}

describe('backpressure (real processes)', () => {
  it('R24: over the high-water mark submits get 503 overloaded at once and nothing is written; admission resumes below the low-water mark', async () => {
    const f = await faultEnv({ env: { QUEUE_HIGH_WATER: String(HIGH), QUEUE_LOW_WATER: String(LOW) } });
    const images = await colourImages();
    const names = [...images.keys()];
    const api = await f.stack.startApi();
    const submit = (i: number) => submitImage(api.url, images.get(names[i % names.length]!)!);

    // Fill the queue one submit at a time until the API refuses (bounded: twice the mark).
    const accepted: Submitted[] = [];
    let refusal: SubmitAnswer | null = null;
    for (let i = 0; i < 2 * HIGH && !refusal; i++) {
      if (accepted.length >= HIGH - 2) await sleep(PACE_MS);
      const r = await submit(i);
      if (r.status === 202) accepted.push({ id: r.body.id, colour: names[i % names.length]! });
      else refusal = r;
    }
    f.note(`accepted ${accepted.length} before the first refusal: ${JSON.stringify(refusal)}`);
    expect(refusal, `no refusal after ${2 * HIGH} submits`).not.toBeNull();
    expectOverloaded(refusal!);
    // Admission stops at the mark (one over at most, depending on whether "over" means ≥ or >).
    expect(accepted.length).toBeGreaterThanOrEqual(HIGH);
    expect(accepted.length).toBeLessThanOrEqual(HIGH + 1);

    // Refused submits write nothing: no queue entry, no record, no blob, no temp file.
    for (let i = 0; i < 5; i++) expectOverloaded(await submit(i));
    expect(await queueDepth(f)).toBe(accepted.length);
    expect((await f.probe.scan(`${f.stack.prefix}:job:*`)).length).toBe(accepted.length);
    expect(await blobCount(f)).toBe(accepted.length);
    expect(await fs.readdir(path.join(f.stack.uploadDir, 'tmp'))).toEqual([]);

    // Between the marks: still refused (hysteresis), also after a moment for any cached depth to refresh.
    const cancel = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const job = accepted.shift()!;
        const res = await fetch(`${api.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
        expect(res.status).toBe(200);
      }
    };
    await cancel(accepted.length - (LOW + 2));
    expect(await queueDepth(f)).toBe(LOW + 2);
    expectOverloaded(await submit(0));
    await sleep(1_500);
    expectOverloaded(await submit(1));

    // Below the low-water mark: admitted again.
    await cancel(3);
    expect(await queueDepth(f)).toBe(LOW - 1);
    const resumed = await until('a submit to be admitted below the low-water mark', async () => {
      const r = await submit(2);
      if (r.status !== 202) expectOverloaded(r);
      return r.status === 202 ? r : null;
    }, 3_000, 250);
    accepted.push({ id: resumed.body.id, colour: names[2]! });

    // A worker drains the queue; every job still accepted succeeds.
    await f.stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    const { statuses } = await f.probe.waitTerminal(accepted.map((j) => j.id), 20_000);
    expect(statuses).toEqual(accepted.map(() => 'succeeded'));
    const records = await f.probe.records(accepted.map((j) => j.id));
    expect(accepted.map((j, i) => wrongResult(records[i]!, j.colour)).filter((w) => w !== null)).toEqual([]);
    expect((await submit(3)).status).toBe(202);
  });
});
