import { EventSourceParserStream } from 'eventsource-parser/stream';

/** One Server-Sent Event of `/v1/jobs/{id}/events` or `/v1/batches/{id}/events`, its data parsed. */
export interface StreamEvent<T> {
  /** `status` (the current state, and a job's changes), `progress` (a batch's changes), `end` (the last). */
  event: string;
  /** Send it back as `lastEventId` to resume after a cut. */
  id: string | null;
  data: T;
}

export interface ReadEventStreamOptions {
  signal?: AbortSignal;
  /**
   * The stream counts as cut when nothing (not even a keep-alive comment) arrives for this long, in ms; the
   * server sends a comment every 15 s by default. Default 45 s.
   */
  idleMs?: number;
}

/** An idle or broken stream: resume it with the last event id, or fall back to polling. */
export class StreamCutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamCutError';
  }
}

/**
 * Parses a `text/event-stream` body (eventsource-parser does the line protocol) into events with JSON data.
 * Ends when the server closes the stream; throws `StreamCutError` when it goes silent for `idleMs`.
 */
export async function* readEventStream<T>(body: NonNullable<Response['body']>, opts: ReadEventStreamOptions = {}): AsyncGenerator<StreamEvent<T>, void, undefined> {
  const idleMs = opts.idleMs ?? 45_000;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let cut: string | null = null;
  const reader = body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ onComment: () => arm() }))
    .getReader();
  const stop = (why: string) => {
    cut ??= why;
    void reader.cancel(why).catch(() => undefined);
  };
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => stop(`no event or keep-alive for ${idleMs} ms`), idleMs);
  };
  const onAbort = () => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    arm();
    for (;;) {
      let next: ReadableStreamReadResult<{ event?: string; id?: string; data: string }>;
      try {
        next = await reader.read();
      } catch (err) {
        throw new StreamCutError(`the event stream broke: ${(err as Error).message ?? String(err)}`);
      }
      if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('aborted', 'AbortError');
      if (cut) throw new StreamCutError(cut);
      if (next.done) {
        finished = true;
        return;
      }
      arm();
      const m = next.value;
      yield { event: m.event ?? 'message', id: m.id ?? null, data: JSON.parse(m.data) as T };
    }
  } finally {
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
