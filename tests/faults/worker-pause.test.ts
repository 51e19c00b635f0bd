/**
 * R4: a worker frozen (SIGSTOP) past its lock while it holds jobs, then thawed (SIGCONT). Another worker finishes
 * the jobs; the late one is fenced by its lost locks and by the finish script (first finisher wins): it logs and
 * goes on, it does not crash, and no job gets a second result.
 */
import { describe, expect, it } from 'vitest';
import { faultEnv } from '../helpers/processes/fault-env.js';
import { colourImages, submitColours, wrongResult } from '../helpers/jobs/jobs.js';
import { STALL_RECOVERY_MS } from '../helpers/processes/processes.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

describe('worker frozen past its lock (real processes)', () => {
  it('R4: SIGSTOP past the lock, then SIGCONT: another worker finishes every job once; the late finisher is fenced, not crashed', async () => {
    const f = await faultEnv();
    const images = await colourImages();
    const api = await f.stack.startApi();
    // Holds its batch 3 s, so after the thaw it really tries to finish jobs that are no longer its own.
    const holder = await f.stack.startWorker({ BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '16', BATCH_MAX_DELAY_MS: '3000', BATCH_FLUSH_WHEN_IDLE: 'false' });
    const jobs = await submitColours(api.url, images, 8);
    const ids = jobs.map((j) => j.id);
    await until('every job to be taken by the holder', async () => (await f.probe.statuses(ids)).every((s) => s === 'processing'), 10_000);
    holder.signal('SIGSTOP');
    try {
      const other = await f.stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
      const { statuses, ms } = await f.probe.waitTerminal(ids, STALL_RECOVERY_MS + 30_000);
      f.note(`terminal after ${ms} ms while the holder was frozen: ${statuses.join(',')}`);
      expect(statuses).toEqual(jobs.map(() => 'succeeded'));
      expect(other.alive).toBe(true);
    } finally {
      holder.signal('SIGCONT');
    }
    // Thawed: its batch runs and it tries to finish; everything it does is refused, and it keeps running.
    await sleep(5_000);
    expect(holder.alive).toBe(true);
    const records = await f.probe.records(ids);
    expect(jobs.map((j, i) => wrongResult(records[i]!, j.colour))).toEqual(jobs.map(() => null));
    await f.events.waitAll(ids, 3_000);
    expect(ids.map((id) => f.events.counts.get(id) ?? 0)).toEqual(ids.map(() => 1));
    // And it is still a working worker.
    expect((await fetch(`${holder.url}/health`)).ok).toBe(true);
  });
});
