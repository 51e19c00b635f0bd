import { AppError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/contract/error-codes.js';
import type { JobView } from '../../shared/job-types.js';
import { acceptSubmission, type Submission } from './accept-submission.js';
import { waitForView } from './wait-for-job.js';
import type { SubmitWithWaitDeps, Wait } from './submit-with-wait.js';

/**
 * How a failed job's error code answers on the synchronous endpoint: an image the client sent (or whose URL the
 * service could not fetch) is the client's to fix, like an upload; every other failure is the service's (500).
 */
const FAILURE_STATUS: Partial<Record<ErrorCode, number>> = { invalid_image: 422, image_too_large: 422, fetch_failed: 422, unsupported_media_type: 415 };

/**
 * `POST /predict`: submits and always waits. Returns the succeeded job; a wait that runs out is 504 naming the
 * job id (the client can poll it), a job that failed or was canceled is its error.
 */
export async function predict(deps: SubmitWithWaitDeps, s: Submission, wait: Wait): Promise<JobView> {
  const { job } = await acceptSubmission(deps, s);
  // The end's own fields complete the view, as for `Prefer: wait`: no second read of the record.
  const done = await waitForView(deps, job, wait.seconds, wait.signal);
  if (!done) {
    throw new AppError('timeout', `no result within ${wait.seconds} s; poll /v1/jobs/${job.id}`, { details: { job_id: job.id } });
  }
  if (done.status !== 'succeeded') {
    // A failed job's code is one the worker ended it with (the contract's list); a canceled job has none.
    const code = (done.error?.code ?? `job_${done.status}`) as ErrorCode;
    throw new AppError(code, done.error?.message ?? `the job ${done.status}`, { status: FAILURE_STATUS[code] ?? 500, details: { job_id: job.id } });
  }
  return done;
}
