import { topK, labelSetAnswer } from './postprocess.js';
import { CACHED_TOP_K, type CachedAnswer, type ResultCache } from '../shared/result-cache.js';
import type { LabelSetResult, Prediction } from '../shared/contract/prediction.js';
import type { Metrics } from '../shared/metrics.js';
import type { InferencePayload } from '../shared/queue/index.js';
import type { ItemOutput, LoadedModel } from './model-registry.js';

type Model = Pick<LoadedModel, 'spec' | 'labels'>;

export type RunOutput = ItemOutput & { preprocessMs: number };

/** A job's answer and what it cost; `cachedFrom` names the job whose run (or cached answer) it reused. */
export interface Answered {
  predictions: Prediction[];
  labelSet?: LabelSetResult;
  cachedFrom?: string;
  preprocessMs: number;
  inferenceMs: number;
  batchSize: number;
}

/**
 * The worker's side of the result cache. Jobs of the same image that were queued before any answer existed
 * (a batch of 1,000 copies of one photo) reach the worker together: the first runs the model, the others in
 * this process await that same run, and later ones find the answer in the cache. So duplicates cost one model
 * run per worker process at most. Jobs without a sha256 (cache off, `cache=false`, older APIs) always run.
 */
export class ResultReuse {
  private readonly inflight = new Map<string, { jobId: string; run: Promise<RunOutput> }>();

  constructor(
    private readonly cache: ResultCache,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Starts the cache lookup for `p` (null when `p` is not to be looked up), so the caller can have it under way
   * beside other round trips and hand it to `answer`.
   */
  lookup(p: InferencePayload, model: Model): Promise<CachedAnswer | null> | null {
    if (!p.sha256 || p.noCache) return null;
    return this.cache.get(questionOf(p, model), p.topK).catch(() => null);
  }

  async answer(p: InferencePayload, model: Model, run: () => Promise<RunOutput>, looked = this.lookup(p, model)): Promise<Answered> {
    if (!looked) return fromScores(model, p, await run());
    const { spec } = model;
    const question = questionOf(p, model);
    const cached = await looked;
    this.metrics.resultCache.inc({ model: spec.name, where: 'worker', result: cached ? 'hit' : 'miss' });
    if (cached) {
      return { predictions: cached.predictions, labelSet: cached.label_set, cachedFrom: cached.job_id, preprocessMs: 0, inferenceMs: 0, batchSize: 0 };
    }
    // Scores do not depend on the label set: jobs asking for different ones share the run too.
    const key = JSON.stringify([spec.name, spec.version, p.sha256]);
    const running = this.inflight.get(key);
    if (running) return { ...fromScores(model, p, await running.run), cachedFrom: running.jobId };
    const promise = run();
    this.inflight.set(key, { jobId: p.jobId, run: promise });
    try {
      const out = await promise;
      // The widest answer goes to the cache, so that every top_k is served by slicing it.
      const wide = fromScores(model, { ...p, topK: CACHED_TOP_K }, out);
      // Not waited for (a round trip per job): sent on the worker's connection before the job's end, so Redis
      // stores it first and the next job of this image finds it. (A Redis Cluster may put the two on different
      // nodes; a job of the same image that misses then runs the model, nothing worse.)
      void this.cache.put(question, { job_id: p.jobId, top_k: CACHED_TOP_K, predictions: wide.predictions, label_set: wide.labelSet }).catch(() => undefined);
      return fromScores(model, p, out);
    } finally {
      this.inflight.delete(key);
    }
  }
}

/** Without a cache (RESULT_CACHE_SECONDS=0): every job runs. */
export async function answerWithoutCache(p: InferencePayload, model: Model, run: () => Promise<RunOutput>): Promise<Answered> {
  return fromScores(model, p, await run());
}

function questionOf(p: InferencePayload, { spec }: Model) {
  return { sha256: p.sha256!, model: { name: spec.name, version: spec.version }, labelSet: p.labelSet ?? null };
}

function fromScores(model: Model, p: Pick<InferencePayload, 'topK' | 'labelSet'>, out: RunOutput): Answered {
  return {
    predictions: topK(out.scores, model.spec.output, p.topK, model.labels),
    labelSet: p.labelSet ? labelSetAnswer(model.spec, p.labelSet, out.scores) : undefined,
    preprocessMs: out.preprocessMs,
    inferenceMs: out.inferenceMs,
    batchSize: out.batchSize,
  };
}
