import { JobStore } from '../../shared/job-store.js';
import type { CachedAnswer, CacheQuestion, ResultCache } from '../../shared/result-cache.js';
import type { JobView, NewJob } from '../../shared/job-types.js';
import type { Metrics } from '../../shared/metrics.js';

/** The result cache as the submit paths use it; absent when RESULT_CACHE_SECONDS is 0. */
export interface CacheDeps {
  cache: ResultCache;
  metrics: Metrics;
  /** Webhooks of a job answered from the cache (`job.succeeded` / `job.completed`). */
  onSucceeded: (job: JobView, requestId: string | null) => Promise<void>;
}

/** Cache hits cost no model, no worker and no queue: they have nothing to wait for. */
const NO_TIMINGS = { queue_ms: 0, preprocess_ms: 0, inference_ms: 0, total_ms: 0, batch_size: 0 };

/** The cached answer for a job about to be created, or null (counted as a hit or a miss either way). */
export async function lookup(deps: CacheDeps, q: CacheQuestion, topK: number): Promise<CachedAnswer | null> {
  const hit = await deps.cache.get(q, topK);
  deps.metrics.resultCache.inc({ model: q.model.name, where: 'api', result: hit ? 'hit' : 'miss' });
  return hit;
}

/**
 * Ends a just-created job record with a cached answer, through the same finish script as a worker (so batch
 * counts, the job-events message and retention are as for any job), then queues its webhooks. The record was
 * never queued and holds no blob.
 */
export async function completeFromCache(
  jobs: JobStore,
  deps: CacheDeps,
  job: NewJob,
  answer: CachedAnswer,
): Promise<{ view: JobView; batchCompleted: boolean }> {
  const outcome = { kind: 'succeeded' as const, predictions: answer.predictions, labelSet: answer.label_set, timings: NO_TIMINGS, cachedFrom: answer.job_id };
  const done = await jobs.finish(job.id, job.batchId, outcome, new Date().toISOString());
  deps.metrics.jobsFinished.inc({ model: job.model.name, status: 'succeeded' });
  const stored = await jobs.get(job.id);
  const view = stored?.view ?? JobStore.viewOf(job);
  if (job.webhook) await deps.onSucceeded(view, job.requestId);
  return { view, batchCompleted: done.batchCompleted };
}
