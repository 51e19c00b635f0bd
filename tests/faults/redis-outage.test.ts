/**
 * R7, R8, R9: the Redis everything depends on dies, stays away, or stops answering, as a real redis-server child
 * (AOF with appendfsync always, so every write it acknowledged survives a kill -9). API and worker are real
 * processes that must ride it out by themselves: no restart of either is allowed in these tests.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultEnv, type FaultEnv } from '../helpers/processes/fault-env.js';
import { colourImages, submitImage, wrongResult, type Submitted } from '../helpers/jobs/jobs.js';
import { SubmitLoad, byStatus } from '../helpers/jobs/load.js';
import { getJson } from '../helpers/processes/processes.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

const FAST_WORKER = { BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' };

/** Submits until one is accepted (the API may still be reconnecting), within `timeoutMs`. */
async function submitEventually(apiUrl: string, image: Buffer, colour: string, timeoutMs = 15_000): Promise<Submitted> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await submitImage(apiUrl, image, 5_000);
    if (r.status === 202) return { id: r.body.id, colour };
    if (r.status !== 503 || Date.now() > deadline) throw new Error(`submit answered ${r.status} ${r.error ?? JSON.stringify(r.body)}`);
    await sleep(200);
  }
}

async function expectSucceeded(f: FaultEnv, jobs: Submitted[], timeoutMs: number) {
  const { statuses, ms } = await f.probe.waitTerminal(jobs.map((j) => j.id), timeoutMs);
  f.note(`${jobs.length} jobs terminal after ${ms} ms: ${JSON.stringify(byCount(statuses))}`);
  const records = await f.probe.records(jobs.map((j) => j.id));
  const wrong = jobs.map((j, i) => [j.id, wrongResult(records[i]!, j.colour)] as const).filter(([, w]) => w !== null);
  expect(wrong).toEqual([]);
  return records;
}

const byCount = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

describe('Redis outages (real redis-server)', () => {
  it('R7: kill -9 Redis under submit load, restart on the same AOF: fast 503s while down, every 202 job succeeds', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    const worker = await f.stack.startWorker(FAST_WORKER);
    const load = new SubmitLoad(api.url, images, { lanes: 4, pauseMs: 25, timeoutMs: 5_000 });
    await until('some accepted jobs', () => load.accepted().length >= 20, 15_000, 50);

    const killStart = Date.now();
    await f.redis.kill9();
    const down = Date.now();
    f.note(`redis killed (took ${down - killStart} ms); accepted so far ${load.accepted().length}`);
    await sleep(3_000);
    const restartStart = Date.now();
    await f.redis.restart();
    f.note(`redis restarted in ${Date.now() - restartStart} ms`);
    // Load keeps running until the API has accepted again for a while by itself.
    await until('accepted submits after the restart', () => load.answers.filter((a) => a.start > restartStart && a.status === 202).length >= 20, 20_000, 50);
    const answers = await load.stop();
    f.note(`answers by status: ${JSON.stringify(byStatus(answers))}`);

    // While it was down (requests sent after the kill and answered before the restart): 503 + Retry-After, < 1 s.
    const whileDown = answers.filter((a) => a.start >= down && a.end < restartStart);
    expect(whileDown.length).toBeGreaterThan(10);
    const bad = whileDown.filter((a) => a.status !== 503 || !a.retryAfter || !(Number(a.retryAfter) >= 1) || a.ms >= 1_000);
    expect(bad.map((a) => ({ status: a.status, retryAfter: a.retryAfter, ms: Math.round(a.ms), body: a.body, error: a.error }))).toEqual([]);
    // Never a 500, never a hang, at any point of the run.
    expect(answers.filter((a) => a.status === 0 || a.status >= 500 && a.status !== 503).map((a) => ({ status: a.status, error: a.error, body: a.body }))).toEqual([]);

    // Every acknowledged job, before, around and after the outage, ends succeeded with its own answer.
    const accepted = load.accepted();
    f.note(`accepted ${accepted.length}`);
    await expectSucceeded(f, accepted, 40_000);
    expect(worker.alive).toBe(true);
    expect(api.alive).toBe(true);

    // Refused submits left nothing behind: no job record that no queue entry will ever end (it would never
    // expire), and no blob once every accepted job has ended.
    // A record whose HSET Redis ran (and wrote to its AOF) just before the kill, but whose reply never came, is
    // removed by the API's cleanup, which retries every second until Redis answers: waited for, not assumed done.
    const ids = new Set(accepted.map((j) => j.id));
    const strays = async () => (await f.probe.scan(`${f.stack.prefix}:job:*`)).filter((k) => !ids.has(k.slice(k.lastIndexOf(':') + 1)));
    const lingering = (await strays()).length;
    const waitFrom = Date.now();
    await until('job records of refused submits to be removed', async () => (await strays()).length === 0, 10_000, 100).catch(() => undefined);
    if (lingering > 0) f.note(`${lingering} record(s) of refused submits were still there; gone after ${Date.now() - waitFrom} ms`);
    expect.soft(await strays(), 'job records of refused submits').toEqual([]);
    const blobs = async () => (await fs.readdir(path.join(f.stack.uploadDir, 'blobs'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    await until('blobs of ended jobs to be deleted', async () => (await blobs()) === 0, 5_000, 100).catch(() => undefined);
    expect.soft(await blobs(), 'blobs left').toBe(0);
  });

  it('R8: Redis down longer than the idle poll, then back: workers resume without a restart', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    const worker = await f.stack.startWorker(FAST_WORKER);
    await until('the API to be ready', async () => (await getJson(`${api.url}/ready`))?.status === 200, 15_000);
    const before: Submitted[] = [];
    for (const c of ['red', 'green', 'blue', 'white']) before.push(await submitEventually(api.url, images.get(c)!, c));
    await expectSucceeded(f, before, 15_000);

    await f.redis.shutdownNoSave();
    f.note('redis shut down');
    // Longer than BullMQ's blocking fetch (5 s drainDelay) and ioredis's 2 s reconnect backoff cap, several times.
    await sleep(10_000);
    const ready = await getJson(`${api.url}/ready`, 2_000);
    expect(ready?.status).toBe(503);
    expect(worker.alive).toBe(true);
    await f.redis.restart();
    f.note('redis restarted');

    // The API reconnects by itself, and the worker too: its heartbeat makes the API ready again.
    await until('the API to be ready again', async () => (await getJson(`${api.url}/ready`))?.status === 200, 15_000);
    const after: Submitted[] = [];
    for (const c of ['cyan', 'magenta', 'yellow', 'black']) after.push(await submitEventually(api.url, images.get(c)!, c));
    await expectSucceeded(f, after, 20_000);
    expect(worker.alive).toBe(true);
    expect(f.stack.processes.length).toBe(2);
  });

  it('R9: CLIENT PAUSE longer than the lock while a worker holds jobs: none lost, one result per job', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    // The worker holds its jobs in a forming batch for 1.5 s, so the pause lands while it owns them.
    const worker = await f.stack.startWorker({ BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '16', BATCH_MAX_DELAY_MS: '1500', BATCH_FLUSH_WHEN_IDLE: 'false' });
    const jobs: Submitted[] = [];
    const names = [...images.keys()];
    for (let i = 0; i < 12; i++) jobs.push(await submitEventually(api.url, images.get(names[i % 8]!)!, names[i % 8]!));
    await until('jobs taken by the worker', async () => (await f.probe.statuses(jobs.map((j) => j.id))).every((s) => s === 'processing'), 10_000, 50);

    const pauseMs = 6_000; // longer than the 4 s lock: no renewal can get through meanwhile
    await f.redis.pause(pauseMs);
    const pausedAt = Date.now();
    f.note('redis paused');
    // Clients keep submitting during the pause; whatever gets a 202 must end like the rest.
    const load = new SubmitLoad(api.url, images, { lanes: 2, pauseMs: 200, timeoutMs: 10_000 });
    await sleep(pauseMs + 1_000 - (Date.now() - pausedAt));
    const answers = await load.stop();
    f.note(`answers during/after the pause: ${JSON.stringify(byStatus(answers))}; max ms ${Math.max(...answers.map((a) => Math.round(a.ms)))}`);
    expect(answers.filter((a) => a.status !== 202 && a.status !== 503).map((a) => ({ status: a.status, error: a.error }))).toEqual([]);
    const all = [...jobs, ...load.accepted()];

    await expectSucceeded(f, all, 30_000);
    // Exactly one stored result per job, even if the pause made BullMQ run some twice.
    await f.events.waitAll(all.map((j) => j.id), 3_000);
    await sleep(1_000);
    expect(all.map((j) => f.events.counts.get(j.id) ?? 0)).toEqual(all.map(() => 1));
    const stalled = await f.probe.stalledEvents();
    f.note(`stalled events after the pause: ${stalled.length}`);
    expect(worker.alive).toBe(true);
  });
});
