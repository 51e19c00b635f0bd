import type { Queue } from 'bullmq';
import type { JobStore } from '../shared/job-store.js';
import type { BlobStore } from '../shared/storage.js';
import type { Metrics } from '../shared/metrics.js';
import type { Logger } from '../shared/logger.js';
import type { JobView } from '../shared/job-types.js';
import { countExpired } from '../shared/deadlines.js';

export interface SweepDeps {
  jobs: JobStore;
  queue: Queue;
  blobs: BlobStore;
  metrics: Metrics;
  logger: Logger;
  /** Told about each job the sweep failed (its job.failed webhook). */
  onFailed: (job: JobView, requestId: string | null) => Promise<void>;
  onBatchCompleted: (batchId: string) => Promise<void>;
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
      const c = await deps.jobs.expire(id, stored?.view.batch_id, nowMs);
      if (!c.expired || !stored) continue;
      expired++;
      // A worker that holds it (BullMQ then refuses the removal) finds it failed and does not run it.
      await deps.queue.remove(id).catch(() => 0);
      await deps.blobs.delete(stored.blobKey);
      countExpired(deps.metrics, stored.view.model.name, 'sweep');
      const after = await deps.jobs.get(id);
      if (after) await deps.onFailed(after.view, after.requestId);
      if (c.batchCompleted && stored.view.batch_id) await deps.onBatchCompleted(stored.view.batch_id);
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
