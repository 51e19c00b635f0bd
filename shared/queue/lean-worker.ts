import { Worker, type Job, type JobJsonRaw } from 'bullmq';

/**
 * BullMQ's Worker with two fetch policies changed to spend fewer Redis commands per job (issue 12), everything else
 * (the main loop and its slots, lock renewal, stalled checks, retries and backoff, events, close) BullMQ's own:
 *
 * 1. **After a take, back to the marker.** BullMQ's loop tries another `moveToActive` right after one that took a
 *    job, to fill its slots; when the queue is drained (the usual case: workers have more slots than there are
 *    jobs) that try is empty (≈ 7 commands). The take's own script re-adds the queue's marker unconditionally, so
 *    waiting on the marker (`BZPOPMIN`, 1 command) costs nothing when more jobs wait (it returns at once and the
 *    next `moveToActive` takes one) and, when none does, the stale marker costs one empty `moveToActive` instead
 *    of two.
 * 2. **Fetch the next job inline only when it is likely there.** Completing or failing a job may take the next one
 *    in the same script (`fetchNext`); when the queue is drained that part is ≈ 6 commands for nothing. It is asked
 *    for only when every slot is busy (so the loop cannot be fetching itself) and the last fetch found a job.
 *
 * Why a subclass rather than a loop on BullMQ's manual-processing API (`getNextJob`, `processJob`): that API
 * leaves lock renewal to a LockManager only `run()` starts, and `close()` wakes a `getNextJob` blocked on the
 * marker only when BullMQ's own main loop is running; a loop of our own would have had to reach into more of
 * BullMQ's internals (or own a third connection and re-implement marker, delay and watchdog handling) than these
 * two overrides, and would give up behaviour BullMQ's tests cover (close, reconnects, retries).
 */
export class LeanWorker<P> extends Worker<P> {
  /** processJob calls running: each holds one of the `concurrency` slots. */
  private inProcess = 0;
  /** Whether the last fetch (a `moveToActive` or an inline fetch) found a job. */
  private lastFetchFound = false;

  protected override async nextJobFromJobData(jobData?: JobJsonRaw, jobId?: string, token?: string): Promise<Job<P>> {
    const job = await super.nextJobFromJobData(jobData, jobId, token);
    this.lastFetchFound = job !== undefined;
    // Policy 1. BullMQ's `drained` is private: it is the flag its `_getNextJob` reads to wait on the marker before
    // the next `moveToActive`, and only an empty fetch sets it. tests/integration/lean-worker.test.ts fails if a
    // BullMQ upgrade renames it or stops reading it (the commands of an idle job are counted there).
    if (job) setDrained(this);
    return job;
  }

  override async processJob(job: Job<P>, token: string, fetchNextCallback: () => boolean = () => true): Promise<void | Job<P>> {
    this.inProcess++;
    try {
      // Policy 2: BullMQ's own condition (slots not over-filled, not closing) and ours.
      return await super.processJob(job, token, () => this.inProcess >= this.concurrency && this.lastFetchFound && fetchNextCallback());
    } finally {
      this.inProcess--;
    }
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
