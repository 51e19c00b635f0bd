import { AppError } from '../../shared/errors.js';
import { isTerminal, type JobView } from '../../shared/job-types.js';
import type { BatchStore, BatchView } from '../../shared/batch-store.js';
import type { BatchEventName, JobEventName } from '../../shared/contract/constants.js';
import type { TopicSource } from './topic.js';

/** Batch counts move with every item: one `progress` event per this many ms at most, whatever the rate. */
export const BATCH_PROGRESS_INTERVAL_MS = 250;

/** A job's stream: a `status` event per status (and per retry, as `attempts` moves). */
export function jobSource(getJob: (id: string) => Promise<JobView>, id: string): TopicSource<JobView, JobEventName> {
  return {
    read: () =>
      getJob(id).catch((err: unknown) => {
        if (err instanceof AppError && err.status === 404) return null;
        throw err;
      }),
    changeKey: (j) => `${j.status}:${j.attempts}`,
    isEnded: (j) => isTerminal(j.status),
    changeEvent: 'status',
    minIntervalMs: 0,
  };
}

/** A batch's stream: `progress` events as its counts or status move; it ends once every item has ended. */
export function batchSource(batches: BatchStore, id: string): TopicSource<BatchView, BatchEventName> {
  return {
    read: () => batches.get(id),
    changeKey: (b) => `${b.status}:${JSON.stringify(b.counts)}`,
    isEnded: (b) => (b.status === 'completed' || b.status === 'canceled') && b.completed_at !== null,
    changeEvent: 'progress',
    minIntervalMs: BATCH_PROGRESS_INTERVAL_MS,
  };
}
