import { JobStore } from '../../shared/job-store.js';
import type { CachedAnswer, CacheQuestion, ResultCache } from '../../shared/result-cache.js';
import type { JobView, NewJob } from '../../shared/job-types.js';
import type { Metrics } from '../../shared/metrics.js';
import type { JobLifecycle } from '../../shared/job-lifecycle.js';

/** The result cache as the submit paths use it; absent when RESULT_CACHE_SECONDS is 0. */
export interface CacheDeps {
  cache: ResultCache;
  metrics: Metrics;
  /** Ends a job answered from the cache like any other (counts, `job.succeeded` webhook, batch completion). */
  lifecycle: JobLifecycle;
}

/** Cache hits cost no model, no worker and no queue: they have nothing to wait for. */
const NO_TIMINGS = { queue_ms: 0, preprocess_ms: 0, inference_ms: 0, total_ms: 0, batch_size: 0 };

/** The cached answer for a job about to be created, or null (counted as a hit or a miss either way). */
export async function lookup(deps: CacheDeps, q: CacheQuestion, topK: number): Promise<CachedAnswer | null> {
  return counted(deps, q, await deps.cache.get(q, topK));
}

/** Counts a lookup's answer as a hit or a miss, once the image it was made for is accepted. */
export function counted(deps: CacheDeps, q: CacheQuestion, hit: CachedAnswer | null): CachedAnswer | null {
  deps.metrics.resultCache.inc({ model: q.model.name, where: 'api', result: hit ? 'hit' : 'miss' });
  return hit;
}

/**
 * Ends a just-created job record with a cached answer, through the job lifecycle like a worker's answer (so batch
 * counts and completion, the job-events message, metrics, webhooks and retention are as for any job). The record
 * was never queued and holds no blob.
 */
export async function completeFromCache(
  jobs: JobStore,
  deps: CacheDeps,
  job: NewJob,
  answer: CachedAnswer,
): Promise<JobView> {
  const outcome = { kind: 'succeeded' as const, predictions: answer.predictions, labelSet: answer.label_set, timings: NO_TIMINGS, cachedFrom: answer.job_id };
  const ending = { id: job.id, model: job.model.name, batchId: job.batchId, blobKey: '', webhook: job.webhook !== null };
  const done = await deps.lifecycle.finish(ending, outcome);
  return done.view ?? (await jobs.get(job.id))?.view ?? JobStore.viewOf(job);
}
