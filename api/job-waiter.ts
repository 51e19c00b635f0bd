import type { RedisClient } from '../shared/redis.js';
import { isTerminal, type JobStatus } from '../shared/job-types.js';

type Resolve = (status: JobStatus | null) => void;

/**
 * Lets requests wait for jobs to end (`Prefer: wait`, `/predict`) without polling: one subscription per API
 * process to the job-events channel, fanned out to the waiting requests in memory.
 */
export class JobWaiter {
  private readonly waiting = new Map<string, Set<Resolve>>();

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    // Subscribe again after every reconnect: a connection that comes back unsubscribed would leave every
    // waiter to its fallback poll.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(this.channel).catch(() => undefined));
    this.subscriber.on('message', (_channel: string, message: string) => {
      let event: { id: string; status: JobStatus };
      try {
        event = JSON.parse(message) as { id: string; status: JobStatus };
      } catch {
        return;
      }
      if (!isTerminal(event.status)) return;
      const set = this.waiting.get(event.id);
      if (!set) return;
      this.waiting.delete(event.id);
      for (const resolve of set) resolve(event.status);
    });
    await this.subscriber.subscribe(this.channel);
  }

  /**
   * Resolves with the terminal status when the job ends, or null after `timeoutMs` or when `signal` aborts.
   * `currentStatus` is read after subscribing, so an end that happens in between is not missed, and again every
   * `pollMs` as a fallback: a lost message or subscription costs a second, never the whole wait.
   */
  async wait(id: string, timeoutMs: number, currentStatus: () => Promise<JobStatus | null>, signal?: AbortSignal, pollMs = 1000): Promise<JobStatus | null> {
    let resolveFn!: Resolve;
    const done = new Promise<JobStatus | null>((resolve) => (resolveFn = resolve));
    const set = this.waiting.get(id) ?? new Set<Resolve>();
    set.add(resolveFn);
    this.waiting.set(id, set);
    const timer = setTimeout(() => resolveFn(null), timeoutMs);
    const poll = setInterval(async () => {
      const now = await currentStatus().catch(() => null);
      if (now && isTerminal(now)) resolveFn(now);
    }, pollMs);
    const onAbort = () => resolveFn(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const now = await currentStatus();
      if (now === null || isTerminal(now)) return now;
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
