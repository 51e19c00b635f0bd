import type { components } from './generated/openapi.js';

/**
 * The shapes of the inferq HTTP API (version 1), as the client sees them: names over the types generated from
 * `/openapi.json` (client/generated/openapi.d.ts, `npm run generate:client`), itself generated from the server's
 * zod schemas (shared/contract). JSON is snake_case, times are ISO-8601 UTC strings.
 */
type S = components['schemas'];

export type JobStatus = S['JobStatus'];
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'processing', 'succeeded', 'failed', 'canceled'];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

export type ModelRef = S['ModelRef'];
/** One class of a result; predictions are sorted by confidence, descending, and confidences lie in [0, 1]. */
export type Prediction = S['Prediction'];
export type Timings = S['Timings'];
export type JobInput = S['JobInput'];
export type JobError = S['JobError'];
export type WebhookDelivery = S['WebhookDelivery'];
export type JobWebhook = S['JobWebhook'];
/** An event a job's webhook can subscribe to (`job.completed`: any terminal event). */
export type WebhookEvent = JobWebhook['events'][number];
export type LabelSetResult = S['LabelSetResult'];
/** One image, one classification (`GET /v1/jobs/{id}`). Fields are null until known. */
export type Job = S['Job'];
export type PredictResult = S['PredictResult'];
export type Preprocessing = S['Preprocessing'];
export type Model = S['Model'];
export type ModelList = S['ModelList'];
export type Info = S['Info'];
export type Health = S['Health'];
export type Ready = S['Ready'];
export type NotReady = S['NotReady'];
export type BatchStatus = S['BatchStatus'];
export type BatchCounts = S['BatchCounts'];
/** Many images, one handle (`GET /v1/batches/{id}`). */
export type Batch = S['Batch'];
/** One item of a JSON-lines batch (`createUrlBatch`). */
export type UrlBatchItem = S['BatchUrlLine'];
/** The lines of a JSON-lines batch: how many were taken, and the first 1,000 refused with their reason. */
export type UrlBatchReport = S['BatchLines'];
/** One line of `GET /v1/batches/{id}/results?format=jsonl`. */
export type BatchResult = S['BatchResult'];
export type BatchJobsPage = S['BatchJobsPage'];
export type ResultsFormat = 'jsonl' | 'csv';
export type WebhookSecret = S['WebhookSecret'];
/** The body of every 4xx/5xx answer. */
export type ErrorBody = S['Error'];
export type ErrorCode = S['ErrorCode'];
