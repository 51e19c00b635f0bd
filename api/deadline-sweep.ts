import type { JobStore } from '../shared/job-store.js';
import type { Logger } from '../shared/logger.js';
import type { JobLifecycle } from '../shared/job-lifecycle.js';
import type { JobQueue } from '../shared/queue/index.js';

export interface SweepDeps {
  jobs: JobStore;
  queue: JobQueue<'inference'>;
  /** Ends each expired job (metrics, blob, job.failed webhook, batch completion). */
  lifecycle: JobLifecycle;
  logger: Logger;
}

/** How often each API process sweeps: a deadline is honoured within about this much of passing. */
export const SWEEP_INTERVAL_MS = 1000;
const PAGE = 200;
/** Bounds one sweep's work; the rest waits for the next tick. */
const MAX_PAGES = 50;

/**
 * Fails every queued job whose deadline has passed and takes it out of the queue, so expired jobs do not sit in
 * a long backlog until a worker reaches them (a worker that does reach one first fails it the same way, in
 * the step that would have started it). It runs in every API process, because the API is up whenever jobs are
 * submitted, workers or not; several at once are safe: the expiry is one Lua step per job, so only one sweep
 * (or worker) ends each job, and only that one counts it, frees its blob and sends its webhook.
 */
export async function sweepDeadlines(deps: SweepDeps, nowMs = Date.now()): Promise<number> {
  let expired = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const ids = await deps.jobs.due(nowMs, PAGE);
    for (const id of ids) {
      const stored = await deps.jobs.get(id);
      if (!stored) {
        // Its record is past retention: the expiry step only clears the deadline index's entry.
        await deps.jobs.expire(id, undefined, nowMs);
        continue;
      }
      // The blob is read back after the expiry: an image_url job may have got one since `stored` was read.
      const c = await deps.lifecycle.expire({ id, model: stored.view.model.name, batchId: stored.view.batch_id }, nowMs);
      if (!c.expired) continue;
      expired++;
      // A worker that holds it (BullMQ then refuses the removal) finds it failed and does not run it.
      await deps.queue.remove(id).catch(() => false);
    }
    if (ids.length < PAGE) break;
  }
  return expired;
}

/** Sweeps every SWEEP_INTERVAL_MS (never two sweeps of one process at once); returns the stop function. */
export function startDeadlineSweep(deps: SweepDeps, intervalMs = SWEEP_INTERVAL_MS): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweepDeadlines(deps)
      .then((n) => n > 0 && deps.logger.info({ expired: n }, 'deadline sweep failed expired jobs'))
      .catch((err: unknown) => deps.logger.warn({ err }, 'deadline sweep failed'))
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
