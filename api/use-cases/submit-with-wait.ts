import { isTerminal, type JobView } from '../../shared/job-types.js';
import { acceptSubmission, type AcceptDeps, type Submission } from './accept-submission.js';
import { waitForView, type WaitDeps } from './wait-for-job.js';
import { getJob } from './get-job.js';

export type SubmitWithWaitDeps = AcceptDeps & WaitDeps;

export interface Wait {
  seconds: number;
  signal: AbortSignal;
}

/**
 * `POST /v1/jobs`: accepts the submission and, with `Prefer: wait`, holds on until the job ends or the wait runs
 * out. `ended` says the view is final: a job that ended within the wait, or one answered at once from the result
 * cache.
 */
export async function submitWithWait(deps: SubmitWithWaitDeps, s: Submission, wait: Wait | null): Promise<{ job: JobView; ended: boolean }> {
  const { job, created } = await acceptSubmission(deps, s);
  if (wait) {
    const ended = await waitForView(deps, job, wait.seconds, wait.signal);
    return ended ? { job: ended, ended: true } : { job: await getJob(deps, job.id), ended: false };
  }
  return { job, ended: created && isTerminal(job.status) };
}
