import { Router } from 'express';
import { acceptImage, admissionCheck, loadJob, waitForEnd } from './jobs.js';
import { AppError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/contract/error-codes.js';
import type { ApiContext } from '../context.js';
import type { JobView } from '../../shared/job-types.js';

// How a failed job's error code maps to HTTP for clients of the synchronous endpoint.
// An image_url the service could not fetch, or whose bytes are no image, is the client's to fix, like an upload.
const FAILURE_STATUS: Record<string, number> = { invalid_image: 422, image_too_large: 422, fetch_failed: 422, unsupported_media_type: 415 };

/**
 * The `{prediction, confidence, probabilities}` of a plain model API, so its clients work unchanged: the label
 * set's answer when one was asked for, else the top-1 class and the top-k classes' probabilities.
 */
function originShape(result: JobView['result']): { prediction: string | null; confidence: number | null; probabilities: Record<string, number> } {
  if (result?.label_set) {
    const { prediction, confidence, probabilities } = result.label_set;
    return { prediction, confidence, probabilities };
  }
  const top = result?.predictions ?? [];
  return { prediction: top[0]?.label ?? null, confidence: top[0]?.confidence ?? null, probabilities: Object.fromEntries(top.map((p) => [p.label, p.confidence])) };
}

/**
 * The classic synchronous endpoint: the same form as `POST /v1/jobs`, always waits. A client of a plain model
 * API moves over unchanged; a wait that runs out is 504 naming the job id, so the client can poll it.
 */
export function predictRouter(ctx: ApiContext): Router {
  const r = Router();
  r.post('/predict', admissionCheck(ctx), ctx.upload, async (req, res) => {
    const { job } = await acceptImage(ctx, req);
    const seconds = ctx.config.http.predictTimeoutSeconds;
    if (!(await waitForEnd(ctx, req, res, job.id, seconds))) {
      throw new AppError('timeout', 504, `no result within ${seconds} s; poll /v1/jobs/${job.id}`, { job_id: job.id });
    }
    const done = await loadJob(ctx, job.id);
    if (done.status !== 'succeeded') {
      const code = (done.error?.code ?? 'job_' + done.status) as ErrorCode;
      throw new AppError(code, FAILURE_STATUS[code] ?? 500, done.error?.message ?? `the job ${done.status}`, { job_id: job.id });
    }
    const labelSet = done.result?.label_set ? { label_set: done.result.label_set } : {};
    res.json({ ...originShape(done.result), ...labelSet, predictions: done.result?.predictions ?? [], model: done.model, job_id: done.id, timings: done.timings });
  });
  return r;
}
