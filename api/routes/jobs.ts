import { Router, type RequestHandler } from 'express';
import { isTerminal, type JobView } from '../../shared/job-types.js';
import { preferWait } from '../adapters/job-waiter.js';
import { admissionCheck, type Admit } from '../middleware/admission.js';
import { abortOnClose, submissionOf, type ScopeOf } from '../http/submission.js';
import { jobIdParam } from '../http/ids.js';
import type { Submission } from '../use-cases/accept-submission.js';
import type { Wait } from '../use-cases/submit-with-wait.js';

/** `Retry-After` on a 202: when a polling client should ask again (or it follows /v1/jobs/{id}/events). */
const POLL_HINT_SECONDS = '1';

export interface JobsRoutesDeps {
  admit?: Admit;
  /** The single-image upload (multer: `image` or `file`). */
  upload: RequestHandler;
  scopeOf: ScopeOf;
  /** The longest `Prefer: wait` honoured. */
  maxWaitSeconds: number;
  submit: (s: Submission, wait: Wait | null) => Promise<{ job: JobView; ended: boolean }>;
  getJob: (id: string) => Promise<JobView>;
  cancel: (id: string, requestId: string) => Promise<JobView>;
}

export function jobsRouter(deps: JobsRoutesDeps): Router {
  const r = Router();

  r.post('/v1/jobs', admissionCheck(deps.admit), deps.upload, async (req, res) => {
    const seconds = preferWait(req.get('prefer'), deps.maxWaitSeconds);
    const wait = seconds === null ? null : { seconds, signal: abortOnClose(res) };
    const { job, ended } = await deps.submit(submissionOf(req, deps.scopeOf), wait);
    res.setHeader('Location', `/v1/jobs/${job.id}`);
    if (seconds !== null) res.setHeader('Preference-Applied', `wait=${seconds}`);
    if (!ended) res.setHeader('Retry-After', POLL_HINT_SECONDS);
    res.status(ended ? 200 : 202).json(job);
  });

  r.get('/v1/jobs/:id', async (req, res) => {
    const job = await deps.getJob(req.params.id);
    // Express sets a weak ETag from the body and answers If-None-Match with 304. A finished job changes only as
    // its webhook deliveries are recorded, so caches may keep it a minute; a running one is checked each time.
    res.setHeader('Cache-Control', isTerminal(job.status) ? 'private, max-age=60' : 'no-cache');
    res.json(job);
  });

  r.post('/v1/jobs/:id/cancel', async (req, res) => {
    res.json(await deps.cancel(jobIdParam(req), req.id));
  });

  return r;
}
