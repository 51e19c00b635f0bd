import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface DeliveryResult {
  statusCode: number | null;
  /** Transport error (timeout, reset, refused by the SSRF guard), null when an HTTP answer came. */
  error: string | null;
  errorCode: string | null;
  /** The receiver's Retry-After, in ms, when it sent one. */
  retryAfterMs: number | null;
  durationMs: number;
}

export interface PostOptions {
  timeoutMs: number;
  /** Most bytes of the response body read before the connection is dropped. */
  maxResponseBytes: number;
  lookup: LookupFunction;
}

/**
 * One POST to a receiver. Redirects are never followed (node's http does not), the whole exchange is bounded by
 * `timeoutMs`, at most `maxResponseBytes` of the answer are read, and DNS goes through the SSRF-guarded lookup.
 */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, opts: PostOptions): Promise<DeliveryResult> {
  const started = performance.now();
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<DeliveryResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...r, durationMs: Math.round(performance.now() - started) });
    };
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: opts.lookup,
      agent: false,
    });
    const timer = setTimeout(
      () => finish({ statusCode: null, error: `no answer within ${opts.timeoutMs} ms`, errorCode: 'timeout', retryAfterMs: null }),
      opts.timeoutMs,
    );
    req.on('response', (res) => {
      let read = 0;
      const done = () =>
        finish({ statusCode: res.statusCode ?? null, error: null, errorCode: null, retryAfterMs: parseRetryAfter(res.headers['retry-after']) });
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= opts.maxResponseBytes) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ statusCode: null, error: err.message, errorCode: err.code ?? 'error', retryAfterMs: null }),
    );
    req.end(body);
  });
}

/** `Retry-After` as seconds or an HTTP date → ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
