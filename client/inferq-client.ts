/**
 * A typed client for the inferq HTTP API (version 1). It only needs the platform's fetch, FormData and Blob (Node
 * ≥ 20, browsers, Deno, Bun), so it can be copied into other projects as it is (with ./types.ts).
 *
 *   const client = new InferqClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.INFERQ_API_KEY });
 *   const job = await client.submitJob({ data: bytes, filename: 'dog.jpg' }, { topK: 3, wait: 30 });
 *   const done = job.status === 'queued' || job.status === 'processing' ? await client.waitForJob(job.id) : job;
 *
 * Failures are thrown as `InferqError` (HTTP status, the API's stable error code, request id, Retry-After).
 * `429` and `503` (and `409 idempotency_in_progress`) are retried after the server's `Retry-After`, a bounded
 * number of times, for requests that are safe to repeat: reads, cancels and seals, and uploads that carry an
 * Idempotency-Key. Network failures are retried the same way, at most twice.
 */
import {
  TERMINAL_JOB_STATUSES,
  type Batch,
  type BatchJobsPage,
  type BatchResult,
  type ErrorBody,
  type Health,
  type Info,
  type Job,
  type JobStatus,
  type Model,
  type ModelList,
  type NotReady,
  type PredictResult,
  type Ready,
  type ResultsFormat,
  type WebhookEvent,
  type WebhookSecret,
} from './types.js';

import { readEventStream, type StreamEvent } from './event-stream.js';
import { follow, type FollowOptions, type FollowSource } from './follow.js';

export type * from './types.js';
export { StreamCutError, type StreamEvent } from './event-stream.js';
export type { FollowOptions } from './follow.js';

export const CLIENT_VERSION = '0.1.0';

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

/** An error answer of the API, or a failure to get one (`status` 0: `network_error`, `timeout`). */
export class InferqError extends Error {
  /** HTTP status; 0 when no answer came (network error, client-side timeout). */
  readonly status: number;
  /** The API's stable snake_case code (`not_found`, `rate_limited`, ...), or `network_error`/`timeout`/`http_<status>`. */
  readonly code: string;
  /** The request id of the failed request (body `request_id` or `X-Request-Id`), when known. */
  readonly requestId: string | null;
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | null;
  /** The job concerned (`/predict` timeouts and failures, `waitForJob` timeouts). */
  readonly jobId: string | null;
  /** The parsed error body, when there was one. */
  readonly body: unknown;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    retryAfter?: number | null;
    jobId?: string | null;
    body?: unknown;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'InferqError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.jobId = init.jobId ?? null;
    this.body = init.body;
  }
}

/** Seconds from a `Retry-After` value (delta-seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export const isTerminalStatus = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(s);

/** The delay before retry number `attempt` (0-based): Retry-After when given, else exponential backoff. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | null, maxMs: number): number {
  const ms = retryAfterSeconds !== null ? retryAfterSeconds * 1000 : 250 * 2 ** attempt;
  return Math.min(Math.max(ms, 0), maxMs);
}

type Query = Record<string, string | number | undefined | null>;

interface SendOptions extends CallOptions {
  query?: Query;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Safe to repeat: retried on 429/503/409 idempotency_in_progress and on network errors. */
  retry: boolean;
  /** Keep the body unread (streams): the timeout stops applying once the headers are in. */
  stream?: boolean;
  timeoutMs?: number;
}

const NETWORK_RETRIES = 2;

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function toBlob(image: ImageInput): Blob {
  if (image.data instanceof Blob) return image.data;
  const d = image.data;
  // Blob copies the bytes; a view over a plain ArrayBuffer avoids a second copy.
  const part = d.buffer instanceof ArrayBuffer ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
  return new Blob([part as Uint8Array<ArrayBuffer>], image.contentType ? { type: image.contentType } : {});
}

function waitHeader(wait: number | boolean | undefined): string | null {
  if (wait === undefined || wait === false) return null;
  if (wait === true) return 'wait';
  return `wait=${Math.max(0, Math.floor(wait))}`;
}

const enc = encodeURIComponent;

export class InferqClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;
  private readonly extraHeaders: Record<string, string>;

  constructor(opts: InferqClientOptions) {
    if (!opts.baseUrl) throw new TypeError('InferqClient: baseUrl is required');
    let parsed: URL;
    try {
      parsed = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`InferqClient: baseUrl is not a URL: ${opts.baseUrl}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`InferqClient: baseUrl must be http(s): ${opts.baseUrl}`);
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey || undefined;
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxRetries = opts.maxRetries ?? 5;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 30_000;
    this.extraHeaders = opts.headers ?? {};
  }

  // ---- jobs ----

  /** `POST /v1/jobs`: the job, queued (202) or, with `wait`, finished when it ended in time (200). */
  async submitJob(image: ImageInput, opts: SubmitOptions = {}): Promise<Job> {
    const form = this.jobForm(image, opts);
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    const prefer = waitHeader(opts.wait);
    if (prefer) headers.Prefer = prefer;
    const waitMs = typeof opts.wait === 'number' ? opts.wait * 1000 : opts.wait ? 60_000 : 0;
    return this.json<Job>('POST', '/v1/jobs', {
      ...opts,
      body: form,
      headers,
      retry: Boolean(opts.idempotencyKey),
      timeoutMs: Math.max(this.timeoutMs, waitMs + 15_000),
    });
  }

  /** `GET /v1/jobs/{id}`. */
  getJob(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.json<Job>('GET', `/v1/jobs/${enc(id)}`, { ...opts, retry: true });
  }

  /** `POST /v1/jobs/{id}/cancel`: the canceled job; `409 not_cancelable` once it has started or ended. */
  cancelJob(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.json<Job>('POST', `/v1/jobs/${enc(id)}/cancel`, { ...opts, retry: true });
  }

  /** Polls `GET /v1/jobs/{id}` until the job has ended; an `InferqError` with code `timeout` (status 0) after `timeoutMs`. */
  async waitForJob(id: string, opts: WaitOptions = {}): Promise<Job> {
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const pollMs = opts.pollMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.getJob(id, opts);
      if (isTerminalStatus(job.status)) return job;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new InferqError({
          status: 0,
          code: 'timeout',
          message: `job ${id} still ${job.status} after ${Math.round(timeoutMs / 1000)} s`,
          jobId: id,
        });
      }
      await sleep(Math.min(pollMs, left), opts.signal);
    }
  }

  /**
   * `GET /v1/jobs/{id}/events` (Server-Sent Events) as an async iterator: `status` with the job now and at each
   * change, then `end` with the final job; the iteration ends when the server closes the stream.
   */
  jobEvents(id: string, opts: EventStreamOptions = {}): AsyncGenerator<StreamEvent<Job>, void, undefined> {
    return this.events<Job>(`/v1/jobs/${enc(id)}/events`, opts);
  }

  /**
   * Follows a job to its end over its event stream (resumed after cuts, polling when streams do not get
   * through); an `InferqError` with code `timeout` (status 0) after `timeoutMs`.
   */
  followJob(id: string, opts: FollowOptions<Job> = {}): Promise<Job> {
    return follow(this.followSource<Job>(`/v1/jobs/${enc(id)}/events`, () => this.getJob(id), (j) => isTerminalStatus(j.status), `job ${id}`), opts);
  }

  /** `POST /predict`: waits for the result (504 `timeout` names the job in `InferqError.jobId`). */
  predict(image: ImageInput, opts: Omit<SubmitOptions, 'wait'> = {}): Promise<PredictResult> {
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    return this.json<PredictResult>('POST', '/predict', {
      ...opts,
      body: this.jobForm(image, opts),
      headers,
      retry: Boolean(opts.idempotencyKey),
      timeoutMs: Math.max(this.timeoutMs, 75_000),
    });
  }

  // ---- models and operations ----

  listModels(opts: CallOptions = {}): Promise<ModelList> {
    return this.json<ModelList>('GET', '/v1/models', { ...opts, retry: true });
  }

  getModel(name: string, opts: CallOptions = {}): Promise<Model> {
    return this.json<Model>('GET', `/v1/models/${enc(name)}`, { ...opts, retry: true });
  }

  /** `GET /info`: the default model. */
  info(opts: CallOptions = {}): Promise<Info> {
    return this.json<Info>('GET', '/info', { ...opts, retry: true });
  }

  /** `GET /health` (liveness). */
  health(opts: CallOptions = {}): Promise<Health> {
    return this.json<Health>('GET', '/health', { ...opts, retry: false });
  }

  /** `GET /ready`: `{status: 'ready'}` or `{status: 'not_ready', reasons}` (a 503 is an answer here, not an error). */
  async ready(opts: CallOptions = {}): Promise<Ready | NotReady> {
    try {
      return await this.json<Ready>('GET', '/ready', { ...opts, retry: false });
    } catch (err) {
      if (err instanceof InferqError && err.status === 503 && isNotReady(err.body)) return err.body;
      throw err;
    }
  }

  /** `GET /v1/webhooks/secret` with the operators' token (ADMIN_TOKEN). */
  webhookSecret(adminToken: string, opts: CallOptions = {}): Promise<WebhookSecret> {
    return this.json<WebhookSecret>('GET', '/v1/webhooks/secret', {
      ...opts,
      headers: { Authorization: `Bearer ${adminToken}` },
      retry: true,
    });
  }

  // ---- batches ----

  /** `POST /v1/batches`: an open batch (JSON), or, with `images`, a batch created and sealed at once (multipart). */
  createBatch(opts: CreateBatchOptions = {}): Promise<Batch> {
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    let body: BodyInit;
    if (opts.images && opts.images.length > 0) {
      const form = new FormData();
      if (opts.model !== undefined) form.append('model', opts.model);
      if (opts.topK !== undefined) form.append('top_k', String(opts.topK));
      if (opts.labelSet !== undefined) form.append('label_set', opts.labelSet);
      if (opts.cache === false) form.append('cache', 'false');
      if (opts.webhookUrl !== undefined) form.append('webhook_url', opts.webhookUrl);
      if (opts.metadata !== undefined) form.append('metadata', JSON.stringify(opts.metadata));
      for (const image of opts.images) form.append('images', toBlob(image), image.filename);
      body = form;
    } else {
      const json: Record<string, unknown> = {};
      if (opts.model !== undefined) json.model = opts.model;
      if (opts.topK !== undefined) json.top_k = opts.topK;
      if (opts.labelSet !== undefined) json.label_set = opts.labelSet;
      if (opts.cache === false) json.cache = false;
      if (opts.webhookUrl !== undefined) json.webhook_url = opts.webhookUrl;
      if (opts.metadata !== undefined) json.metadata = opts.metadata;
      body = JSON.stringify(json);
      headers['Content-Type'] = 'application/json';
    }
    return this.json<Batch>('POST', '/v1/batches', { ...opts, body, headers, retry: Boolean(opts.idempotencyKey) });
  }

  /** `POST /v1/batches/{id}/images`: appends images to an open batch (`409 batch_not_open` otherwise). */
  addBatchImages(id: string, images: ImageInput[], opts: AddImagesOptions = {}): Promise<Batch> {
    const form = new FormData();
    for (const image of images) form.append('images', toBlob(image), image.filename);
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/images`, {
      ...opts,
      body: form,
      headers,
      retry: Boolean(opts.idempotencyKey),
    });
  }

  /** `POST /v1/batches/{id}/seal`: no more images. */
  sealBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/seal`, { ...opts, retry: true });
  }

  /** `GET /v1/batches/{id}`: live counts, progress and ETA. */
  getBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('GET', `/v1/batches/${enc(id)}`, { ...opts, retry: true });
  }

  /** `POST /v1/batches/{id}/cancel`: cancels every item not yet started. */
  cancelBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/cancel`, { ...opts, retry: true });
  }

  /**
   * `GET /v1/batches/{id}/results`, streamed: one string per line as it arrives (no line ends, empty lines
   * skipped). JSONL: one `BatchResult` per line; CSV: the header line first. Partial while the batch runs.
   */
  async *batchResults(id: string, format: ResultsFormat = 'jsonl', opts: CallOptions = {}): AsyncGenerator<string, void, undefined> {
    const res = await this.send('GET', `/v1/batches/${enc(id)}/results`, {
      ...opts,
      query: { format },
      retry: true,
      stream: true,
    });
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let finished = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line.length > 0) yield line;
        }
      }
      const last = buf.replace(/\r$/, '');
      if (last.length > 0) yield last;
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
    }
  }

  /**
   * `GET /v1/batches/{id}/events` as an async iterator: `status` with the batch now, `progress` as its counts
   * move (at most 4 a second), then `end` once every item has ended.
   */
  batchEvents(id: string, opts: EventStreamOptions = {}): AsyncGenerator<StreamEvent<Batch>, void, undefined> {
    return this.events<Batch>(`/v1/batches/${enc(id)}/events`, opts);
  }

  /** Follows a batch until every item has ended, like `followJob`; `onUpdate` sees each state (a progress bar). */
  followBatch(id: string, opts: FollowOptions<Batch> = {}): Promise<Batch> {
    const ended = (b: Batch) => (b.status === 'completed' || b.status === 'canceled') && b.completed_at !== null;
    return follow(this.followSource<Batch>(`/v1/batches/${enc(id)}/events`, () => this.getBatch(id), ended, `batch ${id}`), opts);
  }

  /** The JSONL results, parsed. */
  async *batchResultItems(id: string, opts: CallOptions = {}): AsyncGenerator<BatchResult, void, undefined> {
    for await (const line of this.batchResults(id, 'jsonl', opts)) yield JSON.parse(line) as BatchResult;
  }

  /** `GET /v1/batches/{id}/jobs`: one page of items. */
  listBatchJobs(id: string, opts: ListBatchJobsOptions = {}): Promise<BatchJobsPage> {
    return this.json<BatchJobsPage>('GET', `/v1/batches/${enc(id)}/jobs`, {
      ...opts,
      query: { status: opts.status, cursor: opts.cursor, limit: opts.limit },
      retry: true,
    });
  }

  /** Every item of a batch, page after page. */
  async *iterateBatchJobs(id: string, opts: Omit<ListBatchJobsOptions, 'cursor'> = {}): AsyncGenerator<Job, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listBatchJobs(id, { ...opts, cursor });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  // ---- plumbing ----

  private jobForm(image: ImageInput, opts: SubmitOptions): FormData {
    const form = new FormData();
    if (opts.model !== undefined) form.append('model', opts.model);
    if (opts.topK !== undefined) form.append('top_k', String(opts.topK));
    if (opts.labelSet !== undefined) form.append('label_set', opts.labelSet);
    if (opts.cache === false) form.append('cache', 'false');
    if (opts.metadata !== undefined) {
      form.append('metadata', typeof opts.metadata === 'string' ? opts.metadata : JSON.stringify(opts.metadata));
    }
    if (opts.webhookUrl !== undefined) form.append('webhook_url', opts.webhookUrl);
    if (opts.webhookEvents !== undefined) {
      form.append('webhook_events', Array.isArray(opts.webhookEvents) ? opts.webhookEvents.join(',') : opts.webhookEvents);
    }
    if (opts.priority !== undefined) form.append('priority', String(opts.priority));
    form.append('image', toBlob(image), image.filename);
    return form;
  }

  private url(path: string, query?: Query): string {
    let url = this.baseUrl + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  private async *events<T>(path: string, opts: EventStreamOptions): AsyncGenerator<StreamEvent<T>, void, undefined> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (opts.lastEventId) headers['Last-Event-ID'] = opts.lastEventId;
    const res = await this.send('GET', path, { ...opts, headers, retry: true, stream: true });
    if (!res.body) return;
    yield* readEventStream<T>(res.body, { signal: opts.signal, idleMs: opts.idleMs });
  }

  private followSource<T>(path: string, get: () => Promise<T>, isEnded: (v: T) => boolean, what: string): FollowSource<T> {
    return {
      open: (lastEventId, signal) => this.events<T>(path, { lastEventId, signal }),
      poll: () => get(),
      isEnded,
      timedOut: (last) => {
        const status = (last as { status?: string } | null)?.status;
        return new InferqError({ status: 0, code: 'timeout', message: `${what} still ${status ?? 'running'} after following it for the time allowed` });
      },
      // An older server (no such route) or a proxy that refuses streams: polling still works there.
      refused: (err) => err instanceof InferqError && (err.status === 404 || err.status === 405 || err.status === 406),
    };
  }

  private async json<T>(method: string, path: string, opts: SendOptions): Promise<T> {
    const res = await this.send(method, path, opts);
    return (await res.json()) as T;
  }

  /**
   * One API call with its retries. Resolves with a 2xx response whose body has been buffered (or, for streams,
   * is still to be read); rejects with an `InferqError` (or the caller's abort reason).
   */
  private async send(method: string, path: string, opts: SendOptions): Promise<Response> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': `inferq-client/${CLIENT_VERSION}`,
      ...this.extraHeaders,
    };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    if (opts.requestId) headers['X-Request-Id'] = opts.requestId;
    Object.assign(headers, opts.headers);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;

    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const onAbort = () => controller.abort(abortError(opts.signal!));
      if (opts.signal?.aborted) throw abortError(opts.signal);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException('timed out', 'TimeoutError'));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };

      let res: Response;
      try {
        res = await this.fetchImpl(url, { method, headers, body: opts.body, signal: controller.signal });
      } catch (err) {
        cleanup();
        if (opts.signal?.aborted) throw abortError(opts.signal);
        const error = timedOut
          ? new InferqError({ status: 0, code: 'timeout', message: `${method} ${path}: no answer within ${timeoutMs} ms`, cause: err })
          : new InferqError({ status: 0, code: 'network_error', message: `${method} ${url}: ${describeNetworkError(err)}`, cause: err });
        if (opts.retry && attempt < Math.min(NETWORK_RETRIES, this.maxRetries)) {
          await sleep(retryDelayMs(attempt, null, this.maxRetryDelayMs), opts.signal);
          continue;
        }
        throw error;
      }

      if (res.ok) {
        if (opts.stream) {
          cleanup();
          return res;
        }
        try {
          // Buffer the body while the timeout and the caller's signal still apply.
          const text = await res.text();
          return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
        } catch (err) {
          if (opts.signal?.aborted) throw abortError(opts.signal);
          throw new InferqError({
            status: 0,
            code: timedOut ? 'timeout' : 'network_error',
            message: `${method} ${path}: the answer was cut off (${describeNetworkError(err)})`,
            cause: err,
          });
        } finally {
          cleanup();
        }
      }

      let error: InferqError;
      try {
        error = await errorFromResponse(res, method, path);
      } finally {
        cleanup();
      }
      const retryable =
        res.status === 429 || res.status === 503 || (res.status === 409 && error.code === 'idempotency_in_progress');
      if (opts.retry && retryable && attempt < this.maxRetries) {
        await sleep(retryDelayMs(attempt, error.retryAfter, this.maxRetryDelayMs), opts.signal);
        continue;
      }
      throw error;
    }
  }
}

function isNotReady(body: unknown): body is NotReady {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'not_ready';
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
    }
    return err.message;
  }
  return String(err);
}

/** Builds the `InferqError` of a non-2xx answer from its `{error: {code, message}, request_id}` body. */
export async function errorFromResponse(res: Response, method = '', path = ''): Promise<InferqError> {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  let text = '';
  try {
    text = await res.text();
  } catch {
    // keep going with what we have
  }
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const e = (body as Partial<ErrorBody> | undefined)?.error;
  const code = typeof e?.code === 'string' ? e.code : `http_${res.status}`;
  const what = method ? `${method} ${path}: ` : '';
  const message =
    typeof e?.message === 'string'
      ? e.message
      : `${what}HTTP ${res.status}${text ? ` ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
  const requestId =
    (typeof (body as Partial<ErrorBody> | undefined)?.request_id === 'string'
      ? (body as ErrorBody).request_id
      : null) ?? res.headers.get('x-request-id');
  return new InferqError({
    status: res.status,
    code,
    message,
    requestId,
    retryAfter,
    jobId: typeof e?.job_id === 'string' ? e.job_id : null,
    body,
  });
}
