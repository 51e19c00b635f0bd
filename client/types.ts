/**
 * The shapes of the inferq HTTP API (version 1), as the client sees them. They mirror the schemas of the OpenAPI
 * document (api/openapi.ts, served at `/openapi.json`); JSON is snake_case, times are ISO-8601 UTC strings.
 * The server may add fields; the client never relies on their absence.
 */

export type JobStatus = 'queued' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'processing', 'succeeded', 'failed', 'canceled'];

export type WebhookEvent = 'job.started' | 'job.succeeded' | 'job.failed' | 'job.canceled' | 'job.completed';

export interface ModelRef {
  name: string;
  version: string;
}

/** One class of a result; predictions are sorted by confidence, descending, and confidences lie in [0, 1]. */
export interface Prediction {
  label: string;
  class_id: number;
  confidence: number;
}

export interface Timings {
  queue_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  total_ms: number;
  batch_size: number;
}

export interface JobInput {
  filename: string | null;
  content_type: 'image/jpeg' | 'image/png' | 'image/webp';
  bytes: number;
  width: number;
  height: number;
  sha256: string;
}

export interface JobError {
  code: string;
  message: string;
}

export interface WebhookDelivery {
  attempt: number;
  at: string;
  event: string;
  webhook_id: string;
  status_code: number | null;
  error: string | null;
  outcome: string;
  duration_ms: number;
}

export interface JobWebhook {
  url: string;
  events: WebhookEvent[];
  deliveries: WebhookDelivery[];
}

/** The answer in a label set's classes (`label_set=…`): probabilities summed over each group's classes. */
export interface LabelSetResult {
  name: string;
  prediction: string;
  confidence: number;
  probabilities: Record<string, number>;
}

/** One image, one classification (`GET /v1/jobs/{id}`). Fields are null until known. */
export interface Job {
  id: string;
  status: JobStatus;
  model: ModelRef;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  input: JobInput;
  top_k: number;
  label_set: string | null;
  /** `cached: true` and `cached_from` (the job that computed it) when answered from the result cache. */
  result: { predictions: Prediction[]; label_set?: LabelSetResult; cached?: true; cached_from?: string } | null;
  error: JobError | null;
  timings: Timings | null;
  queue_position: number | null;
  batch_id: string | null;
  metadata: Record<string, unknown>;
  priority: number | null;
  /** Not started by then, the job fails with `deadline_exceeded`; null without a deadline. */
  deadline_at: string | null;
  attempts: number;
  webhook: JobWebhook | null;
}

/** `POST /predict`. */
export interface PredictResult {
  predictions: Prediction[];
  model: ModelRef;
  job_id: string;
  timings: Timings | null;
}

export interface Preprocessing {
  resize: number;
  crop: number;
  channel_order: 'RGB' | 'BGR';
  layout: 'NCHW' | 'NHWC';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface Model {
  name: string;
  version: string;
  task: 'classification';
  description: string | null;
  default: boolean;
  input: { name: string; shape: number[]; layout: 'NCHW' | 'NHWC'; dtype: 'float32' };
  output: { name: string; kind: 'logits' | 'probabilities'; num_classes: number };
  preprocessing: Preprocessing;
  labels_count: number;
  /** Groupings a request can answer in (`label_set`): group → class ids or "a-b" ranges; `other` is implicit. */
  label_sets: { name: string; classes: string[]; groups: Record<string, (number | string)[]> }[];
  sha256: string;
  source: string | null;
  license: string | null;
  batching: { max_batch_size: number; max_delay_ms: number };
}

export interface ModelList {
  data: Model[];
  /** Name of the default model. */
  default: string;
}

/** `GET /info`: the default model plus the service name. */
export interface Info extends Model {
  service: 'inferq';
}

export interface Health {
  status: 'ok';
}

export interface Ready {
  status: 'ready';
  workers: number;
}

export interface NotReady {
  status: 'not_ready';
  reasons: string[];
  error: { code: 'not_ready'; message: string };
}

export type BatchStatus = 'open' | 'processing' | 'completed' | 'canceled';

export interface BatchCounts {
  total: number;
  queued: number;
  processing: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

/** Many images, one handle (`GET /v1/batches/{id}`). */
export interface Batch {
  id: string;
  status: BatchStatus;
  counts: BatchCounts;
  /** Share of the items that have ended, 0..1. */
  progress: number;
  eta_seconds: number | null;
  created_at: string;
  completed_at: string | null;
  model: ModelRef;
  label_set: string | null;
  metadata: Record<string, unknown>;
  /** Items not started by then fail with `deadline_exceeded`; null without a deadline. */
  deadline_at: string | null;
}

/** One line of `GET /v1/batches/{id}/results?format=jsonl`. */
export interface BatchResult {
  job_id: string;
  filename: string | null;
  status: JobStatus;
  label: string | null;
  confidence: number | null;
  predictions: Prediction[];
  label_set?: LabelSetResult;
  error_code: string | null;
}

export interface BatchJobsPage {
  data: Job[];
  next_cursor: string | null;
}

export type ResultsFormat = 'jsonl' | 'csv';

/** `GET /v1/webhooks/secret`. */
export interface WebhookSecret {
  secret: string;
  source: 'config' | 'generated';
}

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; job_id?: string; [k: string]: unknown };
  request_id: string;
}
