import type { InferencePayload, QueuedJob } from '../shared/queue/index.js';
import { SpanKind, contextFrom, inSpan, recordSpan } from '../shared/tracing.js';

/**
 * Continues the trace the API started (its context travels in the job payload): a `queue wait` span from the
 * submission until now, then the `job` span, active while the processor runs, so its decode, result write and
 * webhook spans are its children and the batch run links to it. A no-op while tracing is off.
 */
export function tracedProcessor<R>(processor: (job: QueuedJob<InferencePayload>, token?: string) => Promise<R>) {
  return (job: QueuedJob<InferencePayload>, token?: string): Promise<R> => {
    const parent = contextFrom(job.data.trace);
    const attributes = { 'inferq.job_id': job.data.jobId, 'inferq.model': job.data.model, 'inferq.attempt': job.attemptsStarted };
    recordSpan('queue wait', job.timestamp, Date.now(), { kind: SpanKind.CONSUMER, attributes }, parent);
    return inSpan('job', () => processor(job, token), { kind: SpanKind.CONSUMER, attributes }, parent);
  };
}
