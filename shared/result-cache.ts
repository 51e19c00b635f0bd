import type { RedisClient } from './redis.js';
import type { LabelSetResult, Prediction } from './contract/prediction.js';

/**
 * Every entry keeps the top 20 classes (the largest `top_k` a request may ask for), so any `top_k` is served by
 * slicing: the probabilities of the top k do not depend on k.
 */
export const CACHED_TOP_K = 20;

/** What the cache keeps for an image: the answer of the job that computed it. */
export interface CachedAnswer {
  job_id: string;
  /** How many top classes were kept (fewer predictions than this means the model has fewer classes). */
  top_k: number;
  predictions: Prediction[];
  label_set?: LabelSetResult;
}

/** What makes two requests the same question: the bytes, the model name and version, and the label set. */
export interface CacheQuestion {
  sha256: string;
  model: { name: string; version: string };
  labelSet: string | null;
}

// Keeps the wider entry: a narrower answer written later (it cannot happen with CACHED_TOP_K, but an entry
// written by an older worker may be narrower) never replaces one that serves more requests.
const PUT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, old = pcall(cjson.decode, cur)
  if ok and tonumber(old.top_k or 0) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

type PutFn = (key: string, value: string, topK: number, ttl: number) => Promise<number>;

/**
 * The result cache by content (`RESULT_CACHE_SECONDS`): one string key per question, written by workers when a
 * job succeeds, read at submit. A new model version is another key, so it never serves an old version's answer.
 */
export class ResultCache {
  private readonly putScript: PutFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    if (!('inferqCachePut' in redis)) redis.defineCommand('inferqCachePut', { numberOfKeys: 1, lua: PUT });
    this.putScript = (...a) => (redis as unknown as Record<string, PutFn>).inferqCachePut!(...a);
  }

  key(q: CacheQuestion): string {
    // JSON keeps the parts apart whatever characters they hold.
    return `${this.prefix}:result-cache:${JSON.stringify([q.model.name, q.model.version, q.labelSet ?? '', q.sha256])}`;
  }

  /** The cached answer cut to `topK`, or null when there is none wide enough. */
  async get(q: CacheQuestion, topK: number): Promise<CachedAnswer | null> {
    const raw = await this.redis.get(this.key(q));
    if (!raw) return null;
    let entry: CachedAnswer;
    try {
      entry = JSON.parse(raw) as CachedAnswer;
    } catch {
      return null;
    }
    if (entry.top_k < topK && entry.predictions.length >= entry.top_k) return null;
    return { ...entry, predictions: entry.predictions.slice(0, topK) };
  }

  async put(q: CacheQuestion, answer: CachedAnswer): Promise<void> {
    await this.putScript(this.key(q), JSON.stringify(answer), answer.top_k, this.ttlSeconds);
  }
}
