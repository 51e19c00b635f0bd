import type { Queue } from 'bullmq';
import { AppError, notFound } from '../../shared/errors.js';
import type { JobStore } from '../../shared/job-store.js';
import type { BlobStore } from '../../shared/storage.js';
import type { Metrics } from '../../shared/metrics.js';
import type { JobView } from '../../shared/job-types.js';

export interface CancelDeps {
  jobs: JobStore;
  blobs: BlobStore;
  queue: Queue;
  /** The fetch stage's queue: an image_url job may still wait there. */
  fetchQueue?: Queue;
  metrics: Metrics;
  /** Told about a job that was canceled (webhooks, batch counts). */
  onCanceled?: (job: JobView, requestId?: string) => Promise<void>;
  /** Told when this cancel ended the last open item of a batch. */
  onBatchCompleted?: (batchId: string) => Promise<void>;
}

const notCancelable = (status: string) =>
  new AppError('not_cancelable', 409, `the job is ${status}; only queued jobs can be canceled`);

/**
 * Cancels a job that no worker has started. BullMQ refuses to remove a job whose lock a worker holds, which is
 * what makes "not started" exact: either the removal wins and no worker will ever run it, or a worker has it.
 */
export async function cancelJob(deps: CancelDeps, id: string, requestId?: string): Promise<JobView> {
  const stored = await deps.jobs.get(id);
  if (!stored) throw notFound(`no job ${id}`);
  if (stored.view.status !== 'queued') throw notCancelable(stored.view.status);
  const queued = await deps.queue.getJob(id);
  if (queued) {
    try {
      await queued.remove();
    } catch {
      throw notCancelable('processing');
    }
  } else {
    // Waiting for its image_url to be fetched (or being fetched: the fetch stage then finds it canceled).
    await deps.fetchQueue?.remove(id);
  }
  const r = await deps.jobs.cancel(id, stored.view.batch_id, new Date().toISOString());
  if (r.status === 'missing') throw notFound(`no job ${id}`);
  if (!r.ok) throw notCancelable(r.status);
  // The record read after the cancel: a fetched image_url job may have got its blob since `stored` was read.
  const ended = (await deps.jobs.get(id))!;
  if (ended.blobKey) await deps.blobs.delete(ended.blobKey);
  deps.metrics.jobsFinished.inc({ model: stored.view.model.name, status: 'canceled' });
  const after = ended.view;
  await deps.onCanceled?.(after, requestId);
  if (r.batchCompleted && after.batch_id) await deps.onBatchCompleted?.(after.batch_id);
  return after;
}
