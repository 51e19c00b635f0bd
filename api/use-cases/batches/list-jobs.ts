import type { BatchStore } from '../../../shared/batch-store.js';
import type { JobStore } from '../../../shared/job-store.js';
import type { JobStatus, JobView } from '../../../shared/job-types.js';
import type { BatchJobsPage } from '../../../shared/contract/batch.js';
import { getBatch } from './batch-deps.js';

export interface ListJobsDeps {
  batches: BatchStore;
  jobs: JobStore;
}

export interface JobsPageQuery {
  /** Only the jobs in this status. */
  status?: JobStatus;
  limit: number;
  /** Where the previous page stopped (0: the first page). */
  cursor: number;
}

/** A page of a batch's jobs: the contract's `BatchJobsPage`. */
export type JobsPage = BatchJobsPage;

/**
 * A page of a batch's jobs in the order they were added. A page scans at most 10 pages' worth of items, so a
 * rare status costs bounded work per request; the cursor continues where the scan stopped.
 */
export async function listBatchJobs(deps: ListJobsDeps, id: string, q: JobsPageQuery): Promise<JobsPage> {
  await getBatch(deps, id);
  const data: JobView[] = [];
  let pos = q.cursor;
  while (data.length < q.limit && pos < q.cursor + q.limit * 10) {
    const ids = await deps.batches.items(id, pos, q.limit);
    if (ids.length === 0) break;
    for (const v of await deps.jobs.getMany(ids)) {
      pos++;
      if (v && (!q.status || v.status === q.status)) data.push(v);
      if (data.length === q.limit) break;
    }
  }
  const more = (await deps.batches.items(id, pos, 1)).length > 0;
  return { data, next_cursor: more ? String(pos) : null };
}
