import { StreamCutError, type StreamEvent } from './event-stream.js';

export interface FollowOptions<T> {
  /** Give up after this long (an error with code `timeout`). Default 300 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Every state seen, the current one first (stream events, or polls once following fell back to polling). */
  onUpdate?: (state: T) => void;
  /** Between polls once the stream could not be followed. Default 500 ms. */
  pollMs?: number;
  /** Resumes (with `Last-Event-ID`) in a row without an event before falling back to polling. Default 3. */
  resumes?: number;
}

export interface FollowSource<T> {
  /** Opens the event stream, resuming after `lastEventId` when given. */
  open: (lastEventId: string | null, signal: AbortSignal) => AsyncIterable<StreamEvent<T>>;
  poll: (signal: AbortSignal) => Promise<T>;
  isEnded: (state: T) => boolean;
  /** The error to throw when `timeoutMs` passes, given the last state seen. */
  timedOut: (last: T | null) => Error;
  /** True for an answer that says the stream will never work here (an older server): poll at once. */
  refused: (err: unknown) => boolean;
}

/**
 * Follows a job or batch to its end over its event stream; a cut stream is resumed with `Last-Event-ID`, and
 * when that keeps failing (a proxy that buffers or drops streams, a server without them) it falls back to
 * polling, so following never fails where polling would have worked.
 */
export async function follow<T>(src: FollowSource<T>, opts: FollowOptions<T> = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new DOMException('timed out', 'TimeoutError'));
  }, timeoutMs);
  const onAbort = () => ctl.abort(opts.signal!.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let last: T | null = null;
  const seen = (state: T) => {
    last = state;
    opts.onUpdate?.(state);
  };
  try {
    let lastEventId: string | null = null;
    for (let failures = 0; failures <= (opts.resumes ?? 3); ) {
      let events = 0;
      try {
        for await (const e of src.open(lastEventId, ctl.signal)) {
          events++;
          lastEventId = e.id ?? lastEventId;
          seen(e.data);
          if (e.event === 'end') return e.data;
        }
      } catch (err) {
        if (ctl.signal.aborted) throw timedOut ? src.timedOut(last) : err;
        if (src.refused(err)) break;
        if (!(err instanceof StreamCutError) && !isNetworkError(err)) throw err;
      }
      // Closed without an end (the server shut down) or cut: resume; count only tries that brought nothing.
      failures = events > 0 ? 0 : failures + 1;
      await sleep(Math.min(250 * 2 ** failures, 2_000), ctl.signal).catch(() => undefined);
      if (ctl.signal.aborted) throw timedOut ? src.timedOut(last) : ctl.signal.reason;
    }
    for (let pollErrors = 0; ; ) {
      let state: T;
      try {
        state = await src.poll(ctl.signal);
        pollErrors = 0;
      } catch (err) {
        if (ctl.signal.aborted) throw timedOut ? src.timedOut(last) : err;
        // The client already retried this one; a longer outage is still worth riding out for a while.
        if (!isTransient(err) || ++pollErrors > 20) throw err;
        await sleep(1_000, ctl.signal).catch(() => undefined);
        continue;
      }
      seen(state);
      if (src.isEnded(state)) return state;
      await sleep(opts.pollMs ?? 500, ctl.signal).catch(() => undefined);
      if (ctl.signal.aborted) throw timedOut ? src.timedOut(last) : ctl.signal.reason;
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The client's errors for a request that never got an HTTP answer carry status 0. */
function isNetworkError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 0;
}

function isTransient(err: unknown): boolean {
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  return typeof status === 'number' && (status === 0 || status === 429 || status >= 500);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
