import { endedView } from '../../shared/job-store.js';
import { isTerminal, type JobView } from '../../shared/job-types.js';
import type { JobEnd, JobWaiter } from '../adapters/job-waiter.js';
import { getJob, type GetJobDeps } from './get-job.js';

export interface WaitDeps extends GetJobDeps {
  waiter: JobWaiter;
}

/** Resolves with the job's end, or null after `seconds` or when `signal` aborts (the client went away). */
function waitForJob(deps: WaitDeps, id: string, seconds: number, signal: AbortSignal): Promise<JobEnd | null> {
  return deps.waiter.wait(id, seconds * 1000, () => deps.jobs.status(id), signal);
}

/**
 * Waits for a job just submitted (`job` is its view then) and returns its ended view, or null when the wait ran
 * out. The end's own fields complete the view without a read; a job with a webhook (its deliveries are a list
 * of their own) or an end that came without fields (heard before the wait began, or from the fallback poll) is
 * read back.
 */
export async function waitForView(deps: WaitDeps, job: JobView, seconds: number, signal: AbortSignal): Promise<JobView | null> {
  if (isTerminal(job.status)) return job;
  const end = await waitForJob(deps, job.id, seconds, signal);
  if (!end) return null;
  return end.fields && !job.webhook ? endedView(job, end.fields) : getJob(deps, job.id);
}
