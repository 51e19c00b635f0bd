import { AppError, notFound } from '../../shared/errors.js';
import type { JobStore } from '../../shared/job-store.js';
import type { JobView } from '../../shared/job-types.js';
import type { JobLifecycle } from '../../shared/job-lifecycle.js';
import type { JobQueue } from '../../shared/queue/index.js';

export interface CancelDeps {
  jobs: JobStore;
  queue: JobQueue<'inference'>;
  /** The fetch stage's queue: an image_url job may still wait there. */
  fetchQueue?: JobQueue<'image-fetch'>;
  /** Ends the canceled job: counts, blob, `job.canceled` webhook, batch completion. */
  lifecycle: JobLifecycle;
}

const notCancelable = (status: string) =>
  new AppError('not_cancelable', `the job is ${status}; only queued jobs can be canceled`);

/**
 * Cancels a job that no worker has started. BullMQ refuses to remove a job whose lock a worker holds, which is
 * what makes "not started" exact: either the removal wins and no worker will ever run it, or a worker has it.
 */
export async function cancelJob(deps: CancelDeps, id: string, requestId?: string): Promise<JobView> {
  const stored = await deps.jobs.get(id);
  if (!stored) throw notFound(`no job ${id}`);
  if (stored.view.status !== 'queued') throw notCancelable(stored.view.status);
  // Taken out of the inference queue, or found there locked by a worker (running), or not there: then it is
  // waiting for its image_url to be fetched (or being fetched: the fetch stage then finds it canceled).
  const removed = await deps.queue.remove(id);
  if (removed === 'locked') throw notCancelable('processing');
  if (removed === 'absent') await deps.fetchQueue?.remove(id);
  // The blob is read back after the cancel: a fetched image_url job may have got one since `stored` was read.
  const r = await deps.lifecycle.cancel({ id, model: stored.view.model.name, batchId: stored.view.batch_id, requestId });
  if (r.status === 'missing') throw notFound(`no job ${id}`);
  if (!r.ok) throw notCancelable(r.status);
  if (!r.view) throw notFound(`no job ${id}`);
  return r.view;
}
