import { Worker, type Job, type JobJsonRaw } from 'bullmq';

/**
 * BullMQ's Worker with two fetch policies changed to spend fewer Redis commands per job (issue 12), everything else
 * (the main loop and its slots, lock renewal, stalled checks, retries and backoff, events, close) BullMQ's own:
 *
 * 1. **After a take that ends a wait, back to the marker.** BullMQ's loop tries another `moveToActive` right after
 *    one that took a job, to fill its slots; when the queue is drained (the usual case: workers have more slots
 *    than there are jobs) that try is empty (1 + 6 commands). The take's own script re-adds the queue's marker
 *    unconditionally, so waiting on the marker (`BZPOPMIN`, 1 command) returns at once if more jobs wait and,
 *    when none does, the stale marker costs one empty `moveToActive` (this worker's or another's) instead of two.
 *    A take right after another take means a backlog: then BullMQ's own way is kept (fetch again at once).
 * 2. **Fetch the next job inline only when it is likely there.** Completing or failing a job may take the next one
 *    in the same script (`fetchNext`): when the queue is drained that part is 6 commands for nothing; when it is
 *    not it saves a round trip, a `BZPOPMIN` and the script's drained check. It is asked for when the last fetch
 *    found a job and the loop is not blocked on the marker (which says no job came since the marker was taken).
 *
 * Why a subclass, not a loop on BullMQ's manual-processing API (`getNextJob`, `processJob`): lock renewal runs in a
 * LockManager only `run()` starts, and `close()` wakes a `getNextJob` blocked on the marker only when BullMQ's own
 * main loop runs; a loop of our own would have reached into more of BullMQ's internals (or owned a third connection
 * and re-implemented marker, delay and watchdog handling) than these overrides of protected hooks and one private
 * flag, and would give up behaviour BullMQ's own tests cover (close, reconnects, retries, rate limits).
 * bench/consumer-drain.ts measures it against BullMQ's Worker; docs/performance.md, "Session 4", has the numbers.
 *
 * What it gives up: after a take, BullMQ's own loop looks for the next job at once, this one trusts the marker. A
 * marker lost in flight (a blocking connection dropped mid-`BZPOPMIN` by a reconnect or a watchdog) can leave a
 * waiting job for up to BullMQ's block timeout (`drainDelay`, 5 s) where BullMQ's loop would have found it at its
 * next fetch; BullMQ has the same window when its own loop is drained. And BullMQ's worker-side `drained` event
 * fires less often (the flag is already set after such a take); nothing here listens to it.
 */
export class LeanWorker<P> extends Worker<P> {
  /** Whether the last fetch (a `moveToActive`, or one inside `moveToFinished`) found a job. */
  private lastFetchFound = false;
  /** Whether the loop is blocked on the marker (BZPOPMIN sent, no answer yet). */
  private onMarker = false;

  protected override async nextJobFromJobData(jobData?: JobJsonRaw, jobId?: string, token?: string): Promise<Job<P>> {
    const job = await super.nextJobFromJobData(jobData, jobId, token);
    // Policy 1, for the first take after the queue was found empty; a take right after another says there is a
    // backlog, where BullMQ's own way (fetch again at once, then inline from each end) is the cheaper. BullMQ's
    // `drained` is private: it is the flag its `_getNextJob` reads to wait on the marker before the next
    // `moveToActive`, and only an empty fetch sets it. tests/integration/lean-worker.test.ts fails if a BullMQ
    // upgrade renames it or stops reading it (the fetches of an idle job are counted there).
    if (job && !this.lastFetchFound) setDrained(this);
    this.lastFetchFound = job !== undefined;
    return job;
  }

  /**
   * BullMQ calls this right before it blocks on the marker and `moveToActive` once the marker answered: used as
   * those two hooks (the timeout and the fetch themselves are BullMQ's).
   */
  protected override getBlockTimeout(blockUntil: number): number {
    this.onMarker = true;
    return super.getBlockTimeout(blockUntil);
  }

  protected override moveToActive(...args: Parameters<Worker<P>['moveToActive']>): Promise<Job<P>> {
    this.onMarker = false;
    return super.moveToActive(...args);
  }

  override processJob(job: Job<P>, token: string, fetchNextCallback: () => boolean = () => true): Promise<void | Job<P>> {
    // Policy 2, with BullMQ's own condition (slots not over-filled, not closing). A loop blocked on the marker
    // means no job came since the marker was last taken: an inline fetch would find none (two workers idle: the
    // other one took the marker this one's take re-added and found the queue empty).
    return super.processJob(job, token, () => this.lastFetchFound && !this.onMarker && fetchNextCallback());
  }
}

/** The one write to a private of BullMQ's Worker (see LeanWorker.nextJobFromJobData); exported for its test. */
export function setDrained(worker: object): void {
  (worker as unknown as { drained: boolean }).drained = true;
}

/** Whether BullMQ's Worker still has the private `drained` flag this module sets, as a boolean. */
export function hasDrainedFlag(worker: object): boolean {
  return typeof (worker as { drained?: unknown }).drained === 'boolean';
}
