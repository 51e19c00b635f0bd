import { abortError, describeNetworkError, errorFromResponse, InferqError, retryDelayMs, sleep } from './errors.js';
import { readEventStream, type StreamEvent } from './event-stream.js';
import type { FollowSource } from './follow.js';
import type { CallOptions, EventStreamOptions, InferqClientOptions } from './options.js';

export const CLIENT_VERSION = '0.1.0';

export type Query = Record<string, string | number | undefined | null>;

export interface SendOptions extends CallOptions {
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

/**
 * One API call with its retries, timeouts and auth, and the event streams: what every resource's methods
 * (client/jobs.ts, batches.ts, models.ts) are built on.
 */
export class Transport {
  readonly baseUrl: string;
  protected readonly apiKey: string | undefined;
  protected readonly fetchImpl: typeof fetch;
  protected readonly timeoutMs: number;
  protected readonly maxRetries: number;
  protected readonly maxRetryDelayMs: number;
  protected readonly extraHeaders: Record<string, string>;

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

  protected url(path: string, query?: Query): string {
    let url = this.baseUrl + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  protected async *events<T>(path: string, opts: EventStreamOptions): AsyncGenerator<StreamEvent<T>, void, undefined> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (opts.lastEventId) headers['Last-Event-ID'] = opts.lastEventId;
    const res = await this.send('GET', path, { ...opts, headers, retry: true, stream: true });
    if (!res.body) return;
    yield* readEventStream<T>(res.body, { signal: opts.signal, idleMs: opts.idleMs });
  }

  protected followSource<T>(path: string, get: () => Promise<T>, isEnded: (v: T) => boolean, what: string): FollowSource<T> {
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

  protected async json<T>(method: string, path: string, opts: SendOptions): Promise<T> {
    const res = await this.send(method, path, opts);
    return (await res.json()) as T;
  }

  /**
   * One API call with its retries. Resolves with a 2xx response whose body has been buffered (or, for streams,
   * is still to be read); rejects with an `InferqError` (or the caller's abort reason).
   */
  protected async send(method: string, path: string, opts: SendOptions): Promise<Response> {
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
