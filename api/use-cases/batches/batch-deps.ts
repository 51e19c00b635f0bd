import { AppError, notFound } from '../../../shared/errors.js';
import type { BatchStore, BatchView } from '../../../shared/batch-store.js';
import type { JobStore } from '../../../shared/job-store.js';
import type { BlobStore } from '../../../shared/storage.js';
import type { ModelCatalog } from '../../../shared/model-catalog.js';
import type { Metrics } from '../../../shared/metrics.js';
import type { JobQueue } from '../../../shared/queue/index.js';
import type { JobLifecycle } from '../../../shared/job-lifecycle.js';
import type { CacheDeps } from '../cached-job.js';

/** What the batch use cases (create, append, seal, cancel, and the JSON-lines batch) work with. */
export interface BatchDeps {
  batches: BatchStore;
  jobs: JobStore;
  blobs: BlobStore;
  queue: JobQueue<'inference'>;
  /** The fetch stage's queue, where the items of a JSON-lines batch wait for their image. */
  fetchQueue?: JobQueue<'image-fetch'>;
  /** How an item ends (canceled, or failed when the queue refused it): counts, blob, batch completion. */
  lifecycle: JobLifecycle;
  models: ModelCatalog;
  metrics: Metrics;
  maxPixels: number;
  onBatchCompleted?: (batchId: string) => Promise<void>;
  /** The result cache (absent when off): items it answers end at append time. */
  resultCache?: CacheDeps;
}

/** 409 `batch_not_open`: the batch is sealed, canceled or completed. */
export const notOpen = (status: string) => new AppError('batch_not_open', `the batch is ${status}; it takes no more images`);

/** The batch as clients see it; 404 `not_found` when there is none. */
export async function getBatch(deps: Pick<BatchDeps, 'batches'>, id: string): Promise<BatchView> {
  const b = await deps.batches.get(id);
  if (!b) throw notFound(`no batch ${id}`);
  return b;
}
