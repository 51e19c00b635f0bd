import type { JobStore } from '../../shared/job-store.js';
import type { JobView } from '../../shared/job-types.js';
import { isValidId } from '../../shared/ids.js';
import { notFound } from '../../shared/errors.js';

export interface GetJobDeps {
  jobs: JobStore;
  /** How many jobs are ahead of a waiting one (0 = next), or null when it is not waiting. */
  queuePosition: (jobId: string) => Promise<number | null>;
}

/** A job's view, with its place in the queue while it waits; 404 for an unknown or malformed id. */
export async function getJob(deps: GetJobDeps, id: string): Promise<JobView> {
  if (!isValidId(id, 'job')) throw notFound(`no job ${id}`);
  const stored = await deps.jobs.get(id);
  if (!stored) throw notFound(`no job ${id}`);
  if (stored.view.status === 'queued') stored.view.queue_position = await deps.queuePosition(id);
  return stored.view;
}
