import type { RedisClient } from '../../shared/redis.js';
import { isTerminal, type JobStatus } from '../../shared/job-types.js';

/** A job's end as published: its status and, from the scripts that send them, the record fields it changed. */
export interface JobEnd {
  status: JobStatus;
  fields?: Record<string, string>;
}

type Resolve = (end: JobEnd | null) => void;

/** How long ends are remembered for waits that register just after the end was heard (see `wait`). */
const RECENT_MS = 10_000;

/**
 * Lets requests wait for jobs to end (`Prefer: wait`, `/predict`) without polling: one subscription per API
 * process to the job-events channel, fanned out to the waiting requests in memory.
 */
export class JobWaiter {
  private readonly waiting = new Map<string, Set<Resolve>>();
  // Ends heard in the last RECENT_MS to 2 × RECENT_MS, in two generations (no per-entry timers): statuses only.
  private recent = new Map<string, JobStatus>();
  private older = new Map<string, JobStatus>();
  private rotatedAt = 0;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    // Subscribe again after every reconnect: a connection that comes back unsubscribed would leave every
    // waiter to its fallback poll.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(this.channel).catch(() => undefined));
    this.subscriber.on('message', (_channel: string, message: string) => {
      let event: { id: string } & JobEnd;
      try {
        event = JSON.parse(message) as { id: string } & JobEnd;
      } catch {
        return;
      }
      if (!isTerminal(event.status)) return;
      this.remember(event.id, event.status);
      const set = this.waiting.get(event.id);
      if (!set) return;
      this.waiting.delete(event.id);
      for (const resolve of set) resolve({ status: event.status, fields: event.fields });
    });
    await this.subscriber.subscribe(this.channel);
  }

  private remember(id: string, status: JobStatus): void {
    const now = this.now();
    if (now - this.rotatedAt >= RECENT_MS) {
      this.older = this.recent;
      this.recent = new Map();
      this.rotatedAt = now;
    }
    this.recent.set(id, status);
  }

  /**
   * Resolves with the job's end when it comes, or null after `timeoutMs` or when `signal` aborts. For a job
   * that was not ended when the caller last knew (just queued): an end heard before the wait registered is
   * remembered for RECENT_MS, so the wait needs no read of the status first (a round trip per job). The end
   * then carries no fields: the caller reads the record. `currentStatus` is read every `pollMs` as a fallback:
   * a lost message or subscription costs a second, never the whole wait.
   */
  async wait(id: string, timeoutMs: number, currentStatus: () => Promise<JobStatus | null>, signal?: AbortSignal, pollMs = 1000): Promise<JobEnd | null> {
    let resolveFn!: Resolve;
    const done = new Promise<JobEnd | null>((resolve) => (resolveFn = resolve));
    const heard = this.recent.get(id) ?? this.older.get(id);
    if (heard) return { status: heard };
    const set = this.waiting.get(id) ?? new Set<Resolve>();
    set.add(resolveFn);
    this.waiting.set(id, set);
    const timer = setTimeout(() => resolveFn(null), timeoutMs);
    const poll = setInterval(async () => {
      const now = await currentStatus().catch(() => null);
      if (now && isTerminal(now)) resolveFn({ status: now });
    }, pollMs);
    const onAbort = () => resolveFn(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await done;
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      signal?.removeEventListener('abort', onAbort);
      set.delete(resolveFn);
      if (set.size === 0 && this.waiting.get(id) === set) this.waiting.delete(id);
    }
  }
}

/** Parses `Prefer: wait` / `Prefer: wait=N` (RFC 7240); returns seconds capped at `max`, or null. */
export function preferWait(header: string | undefined, max: number): number | null {
  if (!header) return null;
  for (const pref of header.split(',')) {
    const m = /^\s*wait\s*(?:=\s*"?(\d+)"?)?\s*(?:;.*)?$/i.exec(pref);
    if (m) return Math.min(m[1] === undefined ? max : Number(m[1]), max);
  }
  return null;
}
