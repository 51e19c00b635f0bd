import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkUrl, guardedLookup, OutboundUrlError, type GuardOptions } from './ssrf-guard.js';

/** Limits of one `image_url` fetch (IMAGE_FETCH_* and MAX_UPLOAD_BYTES). */
export interface FetchLimits {
  guard: GuardOptions;
  /** Most bytes of the body; a larger Content-Length is refused before reading, a longer body is cut. */
  maxBytes: number;
  /** Most ms from the first connect to the last byte, redirects included. */
  timeoutMs: number;
  /** Most ms without a byte received (connect, headers, body): cuts a slow drip. */
  idleMs: number;
  /** Redirects followed, each re-checked by the guard (statically, and at connect by its lookup). */
  maxRedirects: number;
}

/** Why a fetch failed, told to the client as the job's `fetch_failed` error message. */
export class ImageFetchError extends Error {
  readonly code = 'fetch_failed';
  constructor(message: string) {
    super(message);
    this.name = 'ImageFetchError';
  }
}

type Hop = { redirect: string } | { body: Buffer };

/**
 * Fetches an image for a job: GET through the SSRF guard (static check of every URL, redirects included, and the
 * guarded lookup at connect time so no socket opens to a refused address), bounded in bytes, total time and idle
 * time. Returns the body bytes; the caller sniffs and header-checks them like an upload.
 */
export async function fetchImage(raw: string, limits: FetchLimits): Promise<Buffer> {
  const deadline = Date.now() + limits.timeoutMs;
  const lookup = guardedLookup(limits.guard) as unknown as LookupFunction;
  let current = raw;
  for (let hop = 0; ; hop++) {
    let url: URL;
    try {
      url = checkUrl(current, limits.guard, 'image_url');
    } catch (err) {
      if (err instanceof OutboundUrlError) throw new ImageFetchError(hop === 0 ? err.message : `redirected to a refused URL: ${err.message}`);
      throw err;
    }
    const r = await getOnce(url, limits, lookup, deadline);
    if ('body' in r) return r.body;
    if (hop >= limits.maxRedirects) throw new ImageFetchError(`more than ${limits.maxRedirects} redirects`);
    current = new URL(r.redirect, url).href;
  }
}

function getOnce(url: URL, limits: FetchLimits, lookup: LookupFunction, deadline: number): Promise<Hop> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new ImageFetchError(message));
    };
    const done = (hop: Hop) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(hop);
    };
    const req = client.get(url, {
      lookup,
      agent: false,
      headers: { accept: 'image/jpeg, image/png, image/webp', 'user-agent': 'inferq-image-fetch' },
    });
    const timer = setTimeout(() => fail(`not fetched within ${limits.timeoutMs} ms`), Math.max(0, deadline - Date.now()));
    // Socket inactivity, whatever the phase: a server that sends a byte now and then is cut after idleMs of silence.
    req.setTimeout(limits.idleMs, () => fail(`no data for ${limits.idleMs} ms`));
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EREFUSED_SSRF' ? err.message : `cannot fetch ${url.host}: ${err.code ?? err.message}`),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) return done({ redirect: res.headers.location });
      if (status !== 200) return fail(`the server answered ${status}`);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > limits.maxBytes) return fail(`the image is ${declared} bytes; the limit is ${limits.maxBytes}`);
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > limits.maxBytes) return fail(`the image is larger than the limit of ${limits.maxBytes} bytes`);
        chunks.push(chunk);
      });
      res.on('end', () => done({ body: Buffer.concat(chunks, bytes) }));
      res.on('error', (err) => fail(`the transfer broke off: ${err.message}`));
      res.on('aborted', () => fail('the transfer broke off'));
    });
  });
}
