import { AppError, notFound } from '../../../shared/errors.js';
import type { BatchView } from '../../../shared/batch-store.js';
import type { JobView } from '../../../shared/job-types.js';
import { getBatch, type BatchDeps } from './batch-deps.js';

/** Cancels every item not yet started; items already running finish. */
export async function cancelBatch(deps: BatchDeps, id: string): Promise<BatchView> {
  const now = new Date().toISOString();
  const r = await deps.batches.markCanceled(id, now);
  if (r === 'missing') throw notFound(`no batch ${id}`);
  if (r === 'completed') throw new AppError('not_cancelable', 'the batch has completed');
  if (r === 'completed_now') await deps.onBatchCompleted?.(id);
  const PAGE = 500;
  for (let start = 0; ; start += PAGE) {
    const ids = await deps.batches.items(id, start, PAGE);
    const views = await deps.jobs.getMany(ids);
    // Items are independent: a few at a time, so a 100,000-item batch is not 100,000 sequential round trips.
    let next = 0;
    const lane = async () => {
      while (next < views.length) {
        const job = views[next++];
        if (job && job.status === 'queued') await cancelItem(deps, id, job, now);
      }
    };
    await Promise.all(Array.from({ length: CANCEL_CONCURRENCY }, lane));
    if (ids.length < PAGE) break;
  }
  return getBatch(deps, id);
}

/** Items of a batch canceled at once (each is a few Redis round trips). */
const CANCEL_CONCURRENCY = 16;

async function cancelItem(deps: BatchDeps, batchId: string, job: JobView, now: string): Promise<void> {
  // An item still waiting for its image_url never reached the inference queue: taken out of the fetch queue,
  // it never runs (one being fetched finds itself canceled when the fetch ends).
  const unfetched = job.input.url !== undefined && job.input.sha256 === '';
  const fromFetch = unfetched && deps.fetchQueue ? await deps.fetchQueue.remove(job.id) : 'absent';
  // Not in the fetch queue (fetched, or never a URL): BullMQ refuses to remove a job a worker has locked, and
  // that one is running and will finish. Absent from both, it is between the stages: the cancel's Lua decides.
  if (fromFetch === 'absent' && (await deps.queue.remove(job.id)) === 'locked') return;
  // The blob is read back after the cancel: a fetched item may have got one since `job` was read.
  await deps.lifecycle.cancel({ id: job.id, model: job.model.name, batchId, webhook: false }, now);
}

