/** The options of the client and of its calls (the API's fields, camelCased; see client/types.ts for bodies). */
import type { JobStatus, WebhookEvent } from './types.js';

/** An image to upload: its bytes and the filename the server records (directory parts are dropped). */
export interface ImageInput {
  data: Uint8Array | Blob;
  filename: string;
  /** Sent as the part's Content-Type; the server decides the type by the bytes anyway. */
  contentType?: string;
}

export interface InferqClientOptions {
  /** e.g. `http://localhost:8080` (a path prefix is kept: `https://host/inferq`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** A fetch implementation; default: the global one. */
  fetch?: typeof fetch;
  /** Per attempt, until the whole answer has arrived (for streams: until the headers have). Default 60 s. */
  timeoutMs?: number;
  /** Retries of a 429/503 answer for requests that are safe to repeat. Default 5. */
  maxRetries?: number;
  /** Upper bound of one wait between retries, whatever Retry-After says. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** Per-call options every method takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Sent as `X-Request-Id` (1–128 characters of `[A-Za-z0-9._:-]`). */
  requestId?: string;
}

export interface SubmitOptions extends CallOptions {
  model?: string;
  /** 1..20, default 5. */
  topK?: number;
  /** Also answer in this label set of the model (`result.label_set`). */
  labelSet?: string;
  /** `false`: never answer from the server's result cache (run the model even for an image it has seen). */
  cache?: boolean;
  /** A JSON object (or its JSON text), at most 2 KiB; echoed back on the job. */
  metadata?: Record<string, unknown> | string;
  webhookUrl?: string;
  webhookEvents?: WebhookEvent[] | string;
  /** 0..10, higher runs sooner; the server runs a job without one as 5. */
  priority?: number;
  /** The same key with the same request within 24 h returns the same job; makes the upload safe to retry. */
  idempotencyKey?: string;
  /** `Prefer: wait=N`: hold the request until the job ends or N seconds (≤ 60) pass; `true` = the server's maximum. */
  wait?: number | boolean;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (an `InferqError` with code `timeout` and status 0). Default 5 minutes. */
  timeoutMs?: number;
  /** Between polls. Default 500 ms. */
  pollMs?: number;
}

export interface EventStreamOptions extends CallOptions {
  /** Resume after a cut: the `id` of the last event received (the server sends the current state again). */
  lastEventId?: string | null;
  /** The stream counts as cut after this long without a byte, in ms. Default 45 s (the server's keep-alive is 15 s). */
  idleMs?: number;
}

export interface CreateBatchOptions extends CallOptions {
  model?: string;
  topK?: number;
  labelSet?: string;
  /** `false`: no item of the batch is answered from the result cache. */
  cache?: boolean;
  webhookUrl?: string;
  metadata?: Record<string, unknown>;
  /** Given: the batch is created with these images and sealed at once (multipart). Absent: an open batch (JSON). */
  images?: ImageInput[];
  idempotencyKey?: string;
}

/** The batch options of `createUrlBatch` (sent as query parameters; the body is the lines). */
export interface CreateUrlBatchOptions extends Omit<CreateBatchOptions, 'images' | 'idempotencyKey'> {
  /** 1..604800: items not started this long after creation fail with `deadline_exceeded`. */
  deadlineSeconds?: number;
}

export interface AddImagesOptions extends CallOptions {
  /** Makes the append safe to retry (when the server deduplicates appends by key). */
  idempotencyKey?: string;
}

export interface ListBatchJobsOptions extends CallOptions {
  status?: JobStatus;
  cursor?: string;
  /** 1..1000, default 100. */
  limit?: number;
}
