/**
 * R1, R2, R3: workers killed (SIGKILL) or stopped (SIGTERM) while they hold a batch, as real processes on a real
 * redis-server. Fast profile: lock 4 s, stalled check every 1 s, so a dead worker's jobs are back within ~6 s.
 *
 * A worker "holding a batch" is made with a long BATCH_MAX_DELAY_MS and BATCH_MAX_SIZE above the jobs sent: the
 * worker takes all of them (they show `processing`), preprocesses them and keeps them in its forming batch, so
 * the kill lands between "taken" and "result stored" for every job at once. R3 sends large images instead, so
 * the SIGTERM lands while they are still being decoded and the drain takes long enough to race new jobs.
 */
import { describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { faultEnv, type FaultEnv } from '../helpers/processes/fault-env.js';
import { colourImages, submitColours, submitImage, wrongResult, type Submitted } from '../helpers/jobs/jobs.js';
import { STALL_RECOVERY_MS } from '../helpers/processes/processes.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

/** Env of a worker that keeps what it takes in a forming batch for a long time. */
const HOLDING = { BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '16', BATCH_MAX_DELAY_MS: '60000', BATCH_FLUSH_WHEN_IDLE: 'false' };
/** Slack over the stall-recovery bound for the re-run itself and polling on a loaded 2-core machine. */
const SLACK_MS = 4_000;

async function allProcessing(f: FaultEnv, jobs: Submitted[], timeoutMs = 10_000) {
  await until('every job to be taken by a worker', async () => (await f.probe.statuses(jobs.map((j) => j.id))).every((s) => s === 'processing'), timeoutMs);
}

/**
 * When the last job was taken again: a job's `started_at` is its latest start. Recovery is judged by this, not by
 * when the jobs ended, because what follows the re-take (a suspect re-run alone, in a child process that loads the
 * model) costs what the machine makes it cost; the stall bound is what the service promises.
 */
const lastRetake = (records: (Record<string, string> | null)[]) => Math.max(...records.map((r) => Date.parse(r!.started_at!)));

/** Asserts every job succeeded with its own colour, stored once (one terminal publication). */
async function expectAllSucceeded(f: FaultEnv, jobs: Submitted[]) {
  const records = await f.probe.records(jobs.map((j) => j.id));
  const wrong = jobs.map((j, i) => [j.id, wrongResult(records[i]!, j.colour)] as const).filter(([, w]) => w !== null);
  expect(wrong).toEqual([]);
  // The publish follows the record's update in a separate command: give it a moment, and any duplicate too.
  await f.events.waitAll(jobs.map((j) => j.id), 3_000);
  await sleep(300);
  const stored = jobs.map((j) => f.events.counts.get(j.id) ?? 0);
  expect(stored).toEqual(jobs.map(() => 1));
  return records;
}

describe('worker crashes (real processes)', () => {
  it('R1: SIGKILL of a worker holding a batch: the other worker finishes every job once, within the stall bound', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    const holder = await f.stack.startWorker(HOLDING);
    const jobs = await submitColours(api.url, images, 8);
    await allProcessing(f, jobs);
    const other = await f.stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    // Still held: the other worker must not have had a chance at them before the kill.
    expect(await f.probe.statuses(jobs.map((j) => j.id))).toEqual(jobs.map(() => 'processing'));

    const killedAt = Date.now();
    await holder.kill9();
    f.note(`killed ${holder.name} pid ${holder.pid}`);
    const { statuses, ms } = await f.probe.waitTerminal(jobs.map((j) => j.id), STALL_RECOVERY_MS + SLACK_MS + 10_000);
    f.note(`terminal after ${ms} ms: ${statuses.join(',')}`);
    expect(statuses).toEqual(jobs.map(() => 'succeeded'));
    const records = await expectAllSucceeded(f, jobs);
    f.note(`last re-take ${lastRetake(records) - killedAt} ms after the kill, all ended ${Date.now() - killedAt} ms after it`);
    expect(lastRetake(records) - killedAt).toBeLessThanOrEqual(STALL_RECOVERY_MS + SLACK_MS);

    // Taken for stalled once (the kill), started twice (the holder, then the other worker).
    expect(await f.probe.runs(jobs.map((j) => j.id))).toEqual(jobs.map(() => ({ stalled: 1, started: 2 })));
    // The job record's `attempts` is documented as "runs started so far (retries after a crash count)".
    expect(records.map((r) => Number(r!.attempts))).toEqual(jobs.map(() => 2));
    expect(other.alive).toBe(true);
  });

  it('R2: SIGKILL of every worker mid-batch, a new one started later recovers all', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    const w1 = await f.stack.startWorker(HOLDING);
    const w2 = await f.stack.startWorker(HOLDING);
    const jobs = await submitColours(api.url, images, 16);
    await allProcessing(f, jobs);
    await Promise.all([w1.kill9(), w2.kill9()]);
    const killedAt = Date.now();
    f.note('killed both workers');
    // Nobody is left: the jobs stay as they were, none is lost or failed meanwhile.
    await sleep(2_000);
    expect(await f.probe.statuses(jobs.map((j) => j.id))).toEqual(jobs.map(() => 'processing'));

    await f.stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    // The dead workers' locks ran out long ago: the new worker's own stalled checks find the jobs once it is up.
    const readyAt = Date.now();
    const { statuses, ms } = await f.probe.waitTerminal(jobs.map((j) => j.id), STALL_RECOVERY_MS + SLACK_MS + 15_000);
    f.note(`terminal ${ms} ms after the new worker (killed ${readyAt - killedAt} ms before it was up): ${statuses.join(',')}`);
    expect(statuses).toEqual(jobs.map(() => 'succeeded'));
    const records = await expectAllSucceeded(f, jobs);
    expect(lastRetake(records) - readyAt).toBeLessThanOrEqual(STALL_RECOVERY_MS + SLACK_MS);
    expect(await f.probe.runs(jobs.map((j) => j.id))).toEqual(jobs.map(() => ({ stalled: 1, started: 2 })));
  });

  it('R3: SIGTERM mid-batch: no new job taken, the batch finishes, exit 0 within the shutdown budget, nothing stalled', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    // Large WebP photos take a while to decode, so the SIGTERM lands while the batch is still being prepared
    // and the drain lasts long enough for new jobs to arrive during it.
    const big = new Map<string, Buffer>();
    for (const c of COLOURS.filter((x) => ['red', 'green', 'blue', 'yellow'].includes(x.name))) {
      big.set(c.name, await solidImage(c.rgb, { width: 3000, height: 2000, format: 'webp' }));
    }
    const api = await f.stack.startApi();
    const jobs = await submitColours(api.url, big, 16, 16);
    f.note('images made, 16 jobs queued');
    // LOG_LEVEL info: its 'worker draining' line tells when the SIGTERM has been handled. The batch would wait
    // 4 s to fill; a drain must run it at once instead (worker/server.ts: "their batches are flushed without
    // waiting for the delay").
    const w = await f.stack.startWorker({ BATCH_MAX_SIZE: '32', WORKER_CONCURRENCY: '32', BATCH_MAX_DELAY_MS: '4000', BATCH_FLUSH_WHEN_IDLE: 'false', LOG_LEVEL: 'info' });
    await allProcessing(f, jobs);

    const t0 = Date.now();
    w.signal('SIGTERM');
    await until('the worker to start draining', () => /"msg":"worker draining"/.test(w.output), 2_000, 5);
    // Sent while it drains, in parallel waves: none of these may be taken by the closing worker.
    const late: Submitted[] = [];
    for (const wave of [['red', 'green', 'blue', 'white'], ['cyan', 'magenta', 'yellow', 'black']]) {
      if (!w.alive) break;
      const answers = await Promise.all(wave.map((c) => submitImage(api.url, images.get(c)!)));
      answers.forEach((r, i) => {
        expect(r.status).toBe(202);
        late.push({ id: r.body.id, colour: wave[i]! });
      });
    }
    const exit = await w.waitExit(5_000 + 3_000);
    const ms = Date.now() - t0;
    f.note(`worker exit ${JSON.stringify(exit)} after ${ms} ms; ${late.length} late jobs sent while it drained`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(5_000 + 1_000);
    // Decoding the rest of 16 large images takes well under 3 s here; waiting out the 4 s batch delay does not.
    expect.soft(ms, 'the drain waited for BATCH_MAX_DELAY_MS instead of flushing at once').toBeLessThan(3_000);
    // It finished the batch it held, each job once, with its own answer.
    await expectAllSucceeded(f, jobs);
    // None was run by the closing worker: still queued, no attempt recorded. (BullMQ may hand a closing worker
    // one more job; the processor gives it back untouched, so it is never marked processing.)
    const lateRecords = await f.probe.records(late.map((j) => j.id));
    expect(late.length).toBeGreaterThan(0);
    expect(lateRecords.map((r) => ({ status: r!.status, attempts: Number(r!.attempts) }))).toEqual(late.map(() => ({ status: 'queued', attempts: 0 })));

    // A new worker takes the late jobs; nothing was ever taken for stalled.
    await f.stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    const { statuses } = await f.probe.waitTerminal(late.map((j) => j.id), 15_000);
    expect(statuses).toEqual(late.map(() => 'succeeded'));
    await expectAllSucceeded(f, late);
    const records = await f.probe.records([...jobs, ...late].map((j) => j.id));
    expect(records.map((r) => Number(r!.attempts))).toEqual(records.map(() => 1));
    expect(await f.probe.runs([...jobs, ...late].map((j) => j.id))).toEqual([...jobs, ...late].map(() => ({ stalled: 0, started: 1 })));
    expect(await f.probe.stalledEvents()).toEqual([]);
  });
});
