import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { LeanWorker } from './lean-worker.js';
import type { Config } from '../config.js';
import type { RedisClient } from '../redis.js';
import type { PayloadOf, QueueName } from './payloads.js';

/** A job as its processor sees it: BullMQ's Job, under the adapter's name. */
export type QueuedJob<P> = Job<P>;

/** BullMQ's errors a processor throws: permanent failure (no retry), and "moved back, not failed". */
export { UnrecoverableError, DelayedError } from 'bullmq';

export type Processor<Q extends QueueName> = (job: QueuedJob<PayloadOf[Q]>, token?: string) => Promise<unknown>;

export interface ConsumerOptions {
  /** Jobs run at once by this process. */
  concurrency: number;
  /** How long a job's lock lasts without renewal (ms): must exceed the longest stretch a job may block. */
  lockDurationMs: number;
  /** How often stalled jobs are looked for (ms); BullMQ's default when absent. */
  stalledIntervalMs?: number;
  /** Stalls a job may have before it fails; BullMQ's default when absent. */
  maxStalledCount?: number;
  /** Delay before a retry (ms), for the queue's `backoff: { type: <custom> }` jobs. */
  backoff?: (attemptsMade: number, err?: Error) => number;
}

/** Why a job failed, as far as what follows cares. */
export interface FailureInfo {
  /** It stalled too often (its worker died running it): its processor did not run this time. */
  stalled: boolean;
  /** No attempt is left: BullMQ will not retry it. */
  final: boolean;
}

/** A running consumer of one queue: started with run(), stopped with close() (jobs in hand finish first). */
export interface Consumer<Q extends QueueName> {
  run(): Promise<void>;
  close(): Promise<void>;
  onError(listener: (err: Error) => void): void;
  onFailed(listener: (job: QueuedJob<PayloadOf[Q]>, err: Error, info: FailureInfo) => void): void;
}

/**
 * The one place a BullMQ Worker is made: every consumer of this service starts paused (autorun off), and is a
 * LeanWorker (BullMQ's Worker fetching with fewer Redis commands per job: see lean-worker.ts).
 */
export function createConsumer<Q extends QueueName>(
  name: Q, processor: Processor<Q>, config: Readonly<Config>, redis: RedisClient, opts: ConsumerOptions,
): Consumer<Q> {
  const { backoff } = opts;
  const worker = new LeanWorker<PayloadOf[Q]>(name, processor, {
    connection: redis,
    prefix: config.redis.prefix,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    ...(opts.stalledIntervalMs !== undefined ? { stalledInterval: opts.stalledIntervalMs } : {}),
    ...(opts.maxStalledCount !== undefined ? { maxStalledCount: opts.maxStalledCount } : {}),
    ...(backoff ? { settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => backoff(attemptsMade, err) } } : {}),
    autorun: false,
  });
  return {
    run: () => worker.run(),
    close: () => worker.close(),
    onError: (listener) => void worker.on('error', listener),
    onFailed: (listener) =>
      void worker.on('failed', (job, err) => {
        if (!job) return;
        // A job that stalled too often is handed back by BullMQ's stalled check with a deferred failure on its
        // record (`defa`, which only that check sets), then failed when next taken, without running its processor:
        // the job's own field says so, not the error's words.
        const stalled = Boolean(job.deferredFailure);
        // BullMQ retries nothing that failed with an UnrecoverableError (a deferred stall failure is one), whatever
        // attempts are left.
        const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        listener(job, err, { stalled, final });
      }),
  };
}

/**
 * Gives a job back to its queue untouched, with no attempt spent (a worker that fetched it while closing): BullMQ
 * moves it to delayed, due now, and the DelayedError tells it the processor did not fail.
 */
export async function giveBack(job: QueuedJob<unknown>, token: string): Promise<never> {
  await job.moveToDelayed(Date.now(), token);
  throw new DelayedError();
}
