import type { Prediction } from '../worker/postprocess.js';
import type { LabelSetResult } from './label-sets.js';

export type JobStatus = 'queued' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const isTerminal = (s: JobStatus) => TERMINAL_STATUSES.includes(s);

export interface JobInput {
  filename: string | null;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
}

export interface JobTimings {
  queue_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  total_ms: number;
  batch_size: number;
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

/** What a client sees: `GET /v1/jobs/:id`. */
export interface JobView {
  id: string;
  status: JobStatus;
  model: { name: string; version: string };
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  input: JobInput;
  top_k: number;
  /** The label set the client asked for (its answer is `result.label_set`), or null. */
  label_set: string | null;
  /** `cached: true` and `cached_from` (the job that computed it) when the answer came from the result cache. */
  result: { predictions: Prediction[]; label_set?: LabelSetResult; cached?: true; cached_from?: string } | null;
  error: JobError | null;
  timings: JobTimings | null;
  queue_position: number | null;
  batch_id: string | null;
  metadata: Record<string, unknown>;
  priority: number | null;
  /** When a job not started by then fails with deadline_exceeded; null without a deadline. */
  deadline_at: string | null;
  attempts: number;
  webhook: { url: string; events: string[]; deliveries: WebhookDelivery[] } | null;
}

/** What the API writes when it accepts a job. */
export interface NewJob {
  id: string;
  model: { name: string; version: string };
  createdAt: string;
  input: JobInput;
  topK: number;
  labelSet: string | null;
  blobKey: string;
  metadata: Record<string, unknown>;
  priority: number | null;
  /** Epoch ms; null without a deadline. */
  deadlineAt: number | null;
  batchId: string | null;
  requestId: string | null;
  webhook: { url: string; events: string[] } | null;
}
