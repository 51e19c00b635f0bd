import { Router, type RequestHandler } from 'express';
import type { JobView } from '../../shared/job-types.js';
import { admissionCheck, type Admit } from '../middleware/admission.js';
import { abortOnClose, submissionOf, type ScopeOf } from '../http/submission.js';
import type { Submission } from '../use-cases/accept-submission.js';
import type { Wait } from '../use-cases/submit-with-wait.js';

export interface PredictRoutesDeps {
  admit?: Admit;
  upload: RequestHandler;
  scopeOf: ScopeOf;
  /** How long /predict waits for its job. */
  timeoutSeconds: number;
  predict: (s: Submission, wait: Wait) => Promise<JobView>;
}

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
export function predictRouter(deps: PredictRoutesDeps): Router {
  const r = Router();
  r.post('/predict', admissionCheck(deps.admit), deps.upload, async (req, res) => {
    const done = await deps.predict(submissionOf(req, deps.scopeOf), { seconds: deps.timeoutSeconds, signal: abortOnClose(res) });
    const labelSet = done.result?.label_set ? { label_set: done.result.label_set } : {};
    res.json({ ...originShape(done.result), ...labelSet, predictions: done.result?.predictions ?? [], model: done.model, job_id: done.id, timings: done.timings });
  });
  return r;
}
