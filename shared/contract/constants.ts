/**
 * The contract's plain values, without zod: what the queue adapter, the worker and shared/errors.ts need at run
 * time, so they do not load the schemas. The schemas (the other files here) build on these; index.ts re-exports them.
 */

/** The API's priority: an integer 0..10, higher runs sooner; a job sent without one runs as 5. */
export const PRIORITY = { min: 0, max: 10, default: 5 } as const;

/** The longest deadline a job or batch may carry: 7 days. */
export const MAX_DEADLINE_SECONDS = 604_800;
export const MAX_METADATA_BYTES = 2048;
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export const JOB_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'canceled'] as const;

/** The events a job's `webhook_events` can name (`job.completed`: any terminal event). */
export const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'job.completed'] as const;
/** The `type` of a delivered event: a job's status change, or a batch that has ended. */
export const WEBHOOK_BODY_TYPES = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'batch.completed'] as const;
export type WebhookBodyType = (typeof WEBHOOK_BODY_TYPES)[number];

/**
 * Server-Sent Events (`GET /v1/jobs/{id}/events`, `GET /v1/batches/{id}/events`): each event's `data` is one JSON
 * object, the job or the batch as `GET` shows it; the names tell where the stream is.
 */
export const JOB_EVENT_NAMES = ['status', 'end'] as const;
export const BATCH_EVENT_NAMES = ['status', 'progress', 'end'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];
export type BatchEventName = (typeof BATCH_EVENT_NAMES)[number];
/** Any stream's event name: what an event stream may send. */
export type SseEventName = JobEventName | BatchEventName;

/**
 * Every error code the server answers with: the HTTP errors (with their status) and the codes a job ends with
 * (`error.code` of a failed job, status null: they reach HTTP only through `POST /predict`). A code not listed
 * here does not type-check (`AppError.code` is an `ErrorCode`).
 */
export const ERROR_CODES = {
  // 400
  bad_request: 400,
  incomplete_body: 400,
  invalid_field: 400,
  invalid_image_url: 400,
  invalid_json: 400,
  invalid_upload: 400,
  invalid_webhook_url: 400,
  malformed_multipart: 400,
  missing_image: 400,
  too_many_files: 400,
  unexpected_file: 400,
  unknown_label_set: 400,
  // 401, 403, 404, 405, 406, 408, 409
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_model: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  request_timeout: 408,
  batch_not_open: 409,
  idempotency_in_progress: 409,
  not_cancelable: 409,
  // 413, 415, 422, 429, 431
  line_too_long: 413,
  payload_too_large: 413,
  too_many_lines: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  image_too_large: 422,
  invalid_image: 422,
  // An image_url the service could not fetch: a job ends with it, and `POST /predict` (which waits for the fetch) answers it.
  fetch_failed: 422,
  rate_limited: 429,
  headers_too_large: 431,
  // 5xx
  internal_error: 500,
  not_ready: 503,
  overloaded: 503,
  unavailable: 503,
  timeout: 504,
  insufficient_storage: 507,
  // A job's own end (`error.code` of a failed job; `POST /predict` answers 500 with it unless listed above).
  blob_missing: null,
  blob_unavailable: null,
  deadline_exceeded: null,
  enqueue_failed: null,

  inference_error: null,
  job_canceled: null,
  worker_crashed: null,
  // A refused line of a JSON-lines batch (`lines.refused_lines[].code`).
  invalid_line: null,
} as const satisfies Record<string, number | null>;

export type ErrorCode = keyof typeof ERROR_CODES;
