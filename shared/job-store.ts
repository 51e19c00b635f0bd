import type { RedisClient } from './redis.js';
import type { JobError, JobStatus, JobTimings, JobView, NewJob, WebhookDelivery } from './job-types.js';
import type { LabelSetResult, Prediction } from './contract/prediction.js';
import { CANCEL, EXPIRE, FINISH, MARK_PROCESSING } from './job-scripts.js';

/**
 * Job records: one Redis hash per job, `${prefix}:job:${id}`, the source of truth for what clients read.
 * State changes are Lua scripts (shared/job-scripts.ts) that also move the counts of the job's batch.
 */
export type FinishOutcome =
  | { kind: 'succeeded'; predictions: Prediction[]; labelSet?: LabelSetResult; timings: JobTimings; cachedFrom?: string }
  | { kind: 'failed'; error: JobError; timings?: Partial<JobTimings> };

export interface StoredJob {
  view: JobView;
  blobKey: string;
  requestId: string | null;
}

/** What a state change did: whether this call made it, and whether it ended the job's batch. */
export interface Change {
  ok: boolean;
  status: string;
  batchCompleted: boolean;
  /** True when this call failed the job because its deadline had passed (status is then 'failed'). */
  expired?: boolean;
}

/** The sorted set of job ids by deadline (epoch ms) that the deadline sweep reads. */
export const deadlinesKey = (prefix: string) => `${prefix}:deadlines`;

type ScriptFn = (...args: (string | number)[]) => Promise<string>;

/** The hash fields of a new job record (also written by batch appends, inside a Lua script). */
export function jobRecordFields(job: NewJob): Record<string, string | number> {
  return {
    id: job.id,
    status: 'queued',
    model: job.model.name,
    model_version: job.model.version,
    created_at: job.createdAt,
    input: JSON.stringify(job.input),
    top_k: job.topK,
    label_set: job.labelSet ?? '',
    blob_key: job.blobKey,
    metadata: JSON.stringify(job.metadata),
    priority: job.priority ?? '',
    // A string: the batch append script would turn a number this large into 1.7e+12.
    deadline_at: job.deadlineAt === null ? '' : String(job.deadlineAt),
    batch_id: job.batchId ?? '',
    request_id: job.requestId ?? '',
    webhook: job.webhook ? JSON.stringify(job.webhook) : '',
    attempts: 0,
    ...(job.customId ? { custom_id: job.customId } : {}),
  };
}

/** Channel on which every status change of a job or batch is published (shared/job-scripts.ts says how). */
export const jobEventsChannel = (prefix: string) => `${prefix}:job-events`;

export class JobStore {
  private readonly scripts: { markProcessing: ScriptFn; finish: ScriptFn; cancel: ScriptFn; expire: ScriptFn };

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    // defineCommand sends each script once and then calls it by its SHA (EVALSHA).
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 6, lua });
      return (...args: (string | number)[]) => (redis as unknown as Record<string, ScriptFn>)[name]!(...args);
    };
    this.scripts = {
      markProcessing: define('inferqMarkProcessing', MARK_PROCESSING),
      finish: define('inferqFinish', FINISH),
      cancel: define('inferqCancel', CANCEL),
      expire: define('inferqExpire', EXPIRE),
    };
  }

  key(id: string) {
    return `${this.prefix}:job:${id}`;
  }
  private deliveriesKey(id: string) {
    return `${this.prefix}:job:${id}:deliveries`;
  }
  /** Channel of job changes (`{id, status, batch?}`): `Prefer: wait` and event streams listen to it. */
  get channel() {
    return jobEventsChannel(this.prefix);
  }

  /** KEYS and the common ARGV of the job scripts. */
  private scriptArgs(id: string, batchId: string | null | undefined, now: string) {
    const b = batchId ? `${this.prefix}:batch:${batchId}` : `${this.prefix}:batch:-`;
    const keys = [this.key(id), this.deliveriesKey(id), b, `${b}:ended`, `${b}:items`, deadlinesKey(this.prefix)];
    return [...keys, this.retentionSeconds, batchId ? '1' : '0', id, now, this.channel];
  }

  async create(job: NewJob): Promise<void> {
    if (job.deadlineAt === null) await this.redis.hset(this.key(job.id), jobRecordFields(job));
    else await this.redis.multi().hset(this.key(job.id), jobRecordFields(job)).zadd(deadlinesKey(this.prefix), job.deadlineAt, job.id).exec();
  }

  /** Undo a `create` whose enqueue failed, so no record points at a job that will never run. */
  async remove(id: string): Promise<void> {
    await this.redis.del(this.key(id), this.deliveriesKey(id));
  }

  async get(id: string): Promise<StoredJob | null> {
    const h = await this.redis.hgetall(this.key(id));
    if (!h || !h.id) return null;
    // Only jobs with a webhook have deliveries to read: one command for the rest (polling is the hot path).
    const deliveries = h.webhook ? await this.redis.lrange(this.deliveriesKey(id), 0, -1) : [];
    return { view: toView(h, deliveries), blobKey: h.blob_key ?? '', requestId: h.request_id || null };
  }

  /** Just the status (one HGET), for waiters that only need to know whether a job has ended. */
  async status(id: string): Promise<JobStatus | null> {
    return (await this.redis.hget(this.key(id), 'status')) as JobStatus | null;
  }

  /** The view of a record just created from `job`, without reading it back. */
  static viewOf(job: NewJob): JobView {
    return toView(Object.fromEntries(Object.entries(jobRecordFields(job)).map(([k, v]) => [k, String(v)])), []);
  }

  /** Several job records in one round trip, in the order asked (null where gone); deliveries are not read. */
  async getMany(ids: string[]): Promise<(JobView | null)[]> {
    if (ids.length === 0) return [];
    const m = this.redis.pipeline();
    for (const id of ids) m.hgetall(this.key(id));
    const rows = (await m.exec()) as [null, Record<string, string>][];
    return rows.map(([, h]) => (h && h.id ? toView(h, []) : null));
  }

  /**
   * Marks a job as started unless it was canceled meanwhile or already ended; `ok` is false when it must not
   * run. `status` is 'first' on the first start, 'again' on a retry.
   */
  async markProcessing(id: string, batchId: string | null | undefined, startedAt: string, attempt: number): Promise<Change> {
    const r = await this.scripts.markProcessing(...this.scriptArgs(id, batchId, startedAt), attempt, Date.parse(startedAt));
    if (r.startsWith('expired')) return { ok: false, status: 'failed', batchCompleted: r === 'expired_batch_completed', expired: true };
    // Published inside the script (no extra round trip): event streams show the start.
    return { ok: r === 'first' || r === 'again', status: r, batchCompleted: false };
  }

  /** Job ids whose deadline is at or before `nowMs`, earliest first: what the deadline sweep looks at. */
  due(nowMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(deadlinesKey(this.prefix), '-inf', nowMs, 'LIMIT', 0, limit);
  }

  /**
   * Fails a queued job whose deadline has passed (`expired` set), or says why not. Unless the job is not yet
   * due, it leaves the deadline index (the scripts remove it when it starts or ends; this clears the entries of
   * records that expired from Redis meanwhile).
   */
  async expire(id: string, batchId: string | null | undefined, nowMs: number): Promise<Change> {
    const r = await this.scripts.expire(...this.scriptArgs(id, batchId, new Date(nowMs).toISOString()), nowMs);
    if (r !== 'not_due') await this.redis.zrem(deadlinesKey(this.prefix), id);
    if (r.startsWith('expired')) return { ok: true, status: 'failed', batchCompleted: r === 'expired_batch_completed', expired: true };
    return { ok: false, status: r, batchCompleted: false };
  }

  /** Stores the outcome once; `ok` is true for the first finisher only (later duplicates are ignored). */
  async finish(id: string, batchId: string | null | undefined, outcome: FinishOutcome, completedAt: string): Promise<Change> {
    const fields: (string | number)[] = [];
    if (outcome.kind === 'succeeded') {
      const result = {
        predictions: outcome.predictions,
        ...(outcome.labelSet ? { label_set: outcome.labelSet } : {}),
        ...(outcome.cachedFrom ? { cached: true, cached_from: outcome.cachedFrom } : {}),
      };
      fields.push('result', JSON.stringify(result), 'timings', JSON.stringify(outcome.timings));
    } else {
      fields.push('error', JSON.stringify(outcome.error));
      if (outcome.timings) fields.push('timings', JSON.stringify(outcome.timings));
    }
    const r = await this.scripts.finish(...this.scriptArgs(id, batchId, completedAt), outcome.kind, ...fields);
    return this.changed(r, outcome.kind);
  }

  /** Cancels a job that has not started; `status` says what prevented it otherwise. */
  async cancel(id: string, batchId: string | null | undefined, at: string): Promise<Change> {
    const r = await this.scripts.cancel(...this.scriptArgs(id, batchId, at));
    return this.changed(r, 'canceled');
  }

  private changed(r: string, status: string): Change {
    const ok = r === 'ok' || r === 'ok_batch_completed';
    return { ok, status: ok ? status : r, batchCompleted: r === 'ok_batch_completed' };
  }

  async addDelivery(id: string, d: WebhookDelivery): Promise<void> {
    await this.redis.multi().rpush(this.deliveriesKey(id), JSON.stringify(d)).expire(this.deliveriesKey(id), this.retentionSeconds).exec();
  }

}

function parse<T>(s: string | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

/** The view's fields that change after a job is queued (by its start and its end), from record fields. */
function progressOf(h: Record<string, string>) {
  return {
    status: h.status as JobStatus,
    started_at: h.started_at || null,
    completed_at: h.completed_at || null,
    result: parse<JobView['result']>(h.result, null),
    error: parse<JobView['error']>(h.error, null),
    timings: parse<JobView['timings']>(h.timings, null),
    attempts: Number(h.attempts ?? 0),
  };
}

/**
 * The view of an ended job from the view it had when queued and the fields its end published (FINISH, CANCEL
 * in shared/job-scripts.ts): what reading the record back would give, without the read. Only for jobs
 * without a webhook (their deliveries are in a list of their own). Fields the end does not carry keep the
 * queued view's values (a cancel carries no started_at: a canceled job never started).
 */
export function endedView(queued: JobView, fields: Record<string, string>): JobView {
  return { ...queued, ...progressOf({ started_at: queued.started_at ?? '', attempts: String(queued.attempts), ...fields }), queue_position: null };
}

function toView(h: Record<string, string>, deliveries: string[]): JobView {
  const webhook = parse<{ url: string; events: string[] } | null>(h.webhook, null);
  const p = progressOf(h);
  return {
    id: h.id!,
    status: p.status,
    model: { name: h.model ?? '', version: h.model_version ?? '' },
    created_at: h.created_at ?? '',
    started_at: p.started_at,
    completed_at: p.completed_at,
    input: parse(h.input, {} as JobView['input']),
    top_k: Number(h.top_k),
    label_set: h.label_set || null,
    result: p.result,
    error: p.error,
    timings: p.timings,
    queue_position: null,
    batch_id: h.batch_id || null,
    metadata: parse(h.metadata, {}),
    priority: h.priority ? Number(h.priority) : null,
    deadline_at: h.deadline_at ? new Date(Number(h.deadline_at)).toISOString() : null,
    attempts: p.attempts,
    webhook: webhook ? { ...webhook, deliveries: deliveries.map((d) => parse<WebhookDelivery>(d, {} as WebhookDelivery)) } : null,
    ...(h.custom_id ? { custom_id: h.custom_id } : {}),
  };
}
