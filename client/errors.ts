import type { ErrorBody } from './types.js';

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

/** The delay before retry number `attempt` (0-based): Retry-After when given, else exponential backoff. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | null, maxMs: number): number {
  const ms = retryAfterSeconds !== null ? retryAfterSeconds * 1000 : 250 * 2 ** attempt;
  return Math.min(Math.max(ms, 0), maxMs);
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

export function describeNetworkError(err: unknown): string {
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
