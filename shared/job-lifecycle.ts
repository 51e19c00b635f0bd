import type { Change, FinishOutcome, JobStore } from './job-store.js';
import type { JobView } from './job-types.js';
import type { BlobStore } from './storage.js';
import type { Metrics } from './metrics.js';
import { inSpan } from './tracing.js';
import { countExpired } from './deadlines.js';

/** Who hears about ended jobs: the webhook notifier (shared/webhook-notifier.ts) in both processes. */
export interface JobEvents {
  jobChanged(job: JobView, status: string, requestId?: string | null): Promise<void>;
  batchEnded(batchId: string): Promise<void>;
}

export interface LifecycleDeps {
  jobs: JobStore;
  blobs: BlobStore;
  metrics: Metrics;
  events?: JobEvents;
}

/** What the caller knows of the job that ends; what it does not know is read from the record after the end. */
export interface EndingJob {
  id: string;
  /** The model's name (the metrics label). */
  model: string;
  batchId?: string | null;
  /** Its blob, when the caller knows it for sure (a worker's payload); else read back: an image_url job may have got one. */
  blobKey?: string;
  /** Whether it has a webhook, when known (a worker's payload): false spares reading the record back. */
  webhook?: boolean;
  /** The request that ended it (a cancel): its id goes with the webhook; by default the submitting request's. */
  requestId?: string;
}

export interface FinishOptions {
  /** Submit to stored result (ms): observed as the end-to-end latency of a success. */
  endToEndMs?: number;
  /** The worker's answer: the store step gets its `result write` span and is observed as the result-write latency. */
  timeWrite?: boolean;
}

/** A state change and, when this call made it, the job as it ended (null when not read back). */
export type Ended = Change & { view: JobView | null };

type EndStatus = 'succeeded' | 'failed' | 'canceled';

/**
 * What happens when a job ends, in one place: the state change (one Lua step: only its first caller gets `ok`),
 * then, only for that caller, the metrics, the blob's delete, the job's webhook event and the batch's completion.
 * Every path that ends a job comes here: the worker (success, failure, a stall), the fetch stage, cancels, the
 * deadline sweep, batch appends the queue refused, and result-cache answers.
 */
export class JobLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** Stores a job's outcome (succeeded or failed) and runs what follows, once. */
  async finish(job: EndingJob, outcome: FinishOutcome, opts: FinishOptions = {}): Promise<Ended> {
    const { jobs, metrics } = this.deps;
    const t0 = performance.now();
    const store = () => jobs.finish(job.id, job.batchId, outcome, new Date().toISOString());
    const change = opts.timeWrite ? await inSpan('result write', store) : await store();
    if (opts.timeWrite) metrics.resultWrite.observe({ model: job.model }, (performance.now() - t0) / 1000);
    if (!change.ok) return { ...change, view: null };
    metrics.jobsFinished.inc({ model: job.model, status: outcome.kind });
    if (outcome.kind === 'failed') metrics.jobFailures.inc({ model: job.model, code: outcome.error.code });
    else if (opts.endToEndMs !== undefined) metrics.endToEnd.observe({ model: job.model }, opts.endToEndMs / 1000);
    return { ...change, view: await this.effects(job, outcome.kind, change.batchCompleted) };
  }

  /**
   * Cancels a job no worker has started (the caller took it out of its queue first), and runs what follows, once.
   * `at`: the cancel's time (a batch's items all carry the batch's), now by default.
   */
  async cancel(job: EndingJob, at = new Date().toISOString()): Promise<Ended> {
    const change = await this.deps.jobs.cancel(job.id, job.batchId, at);
    if (!change.ok) return { ...change, view: null };
    this.deps.metrics.jobsFinished.inc({ model: job.model, status: 'canceled' });
    return { ...change, view: await this.effects(job, 'canceled', change.batchCompleted) };
  }

  /**
   * Fails a queued job whose deadline has passed, and runs what follows, once (the sweep). A job not yet due, or
   * no longer queued, is left as it is.
   */
  async expire(job: EndingJob, nowMs: number): Promise<Ended> {
    const change = await this.deps.jobs.expire(job.id, job.batchId, nowMs);
    if (!change.expired) return { ...change, view: null };
    countExpired(this.deps.metrics, job.model, 'sweep');
    return { ...change, view: await this.effects(job, 'failed', change.batchCompleted) };
  }

  /**
   * What follows a deadline expiry a worker's take decided (the step that would have started the job failed it
   * instead: JobStore.markProcessing), once: that step's caller is the only one told `expired`.
   */
  async expiredAtTake(job: EndingJob, batchCompleted: boolean): Promise<void> {
    countExpired(this.deps.metrics, job.model, 'take');
    await this.effects(job, 'failed', batchCompleted);
  }

  /**
   * Repeats what follows an end for a worker that died before doing it (a re-run finds its job ended): the blob,
   * the webhook, the batch event; all idempotent (event ids dedupe). Not the metrics: those were counted.
   */
  async announceAgain(job: EndingJob, status: 'succeeded' | 'failed'): Promise<void> {
    await this.effects(job, status, true);
  }

  /** The blob's delete, the webhook event, the batch's completion (`batchEnded` checks the batch itself). */
  private async effects(job: EndingJob, status: EndStatus, batchCompleted: boolean): Promise<JobView | null> {
    const { jobs, blobs, events } = this.deps;
    const readBack = job.blobKey === undefined || (job.webhook ?? true);
    const stored = readBack ? await jobs.get(job.id) : null;
    const blobKey = job.blobKey ?? stored?.blobKey;
    if (blobKey) await blobs.delete(blobKey);
    if (stored && (job.webhook ?? true)) await events?.jobChanged(stored.view, status, job.requestId ?? stored.requestId);
    const batchId = job.batchId ?? stored?.view.batch_id;
    if (batchCompleted && batchId) await events?.batchEnded(batchId);
    return stored?.view ?? null;
  }
}
