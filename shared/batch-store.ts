import type { RedisClient } from './redis.js';
import type { NewJob } from './job-types.js';
import type { BatchStatus, BatchView } from './contract/batch.js';
import { deadlinesKey, jobEventsChannel, jobRecordFields } from './job-store.js';
import { BATCH_APPEND, BATCH_CANCEL, BATCH_SEAL } from './job-scripts.js';

/** The views a client sees are the contract's (shared/contract): `GET /v1/batches/{id}` is `BatchView`. */
export type { BatchCounts, BatchStatus, BatchView } from './contract/batch.js';

export interface NewBatch {
  id: string;
  model: { name: string; version: string };
  topK: number;
  labelSet: string | null;
  createdAt: string;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  /** Epoch ms; null: none. */
  deadlineAt: number | null;
  /** False: the batch's items are never answered from the result cache (`cache=false`). */
  cache?: boolean;
  /** 'urls': made from JSON lines (its results carry `custom_id`); absent: from uploads. */
  source?: 'urls';
}

type ScriptFn = (...args: (string | number)[]) => Promise<string>;

/**
 * Batches: a hash of counts kept by the job scripts in the same step as each item's status (so `GET` reads one
 * hash whatever the size), a list of item ids in append order (pagination), and a list of ended item ids in
 * end order (results stream from it, partial while the batch runs).
 */
export class BatchStore {
  private readonly appendScript: ScriptFn;
  private readonly sealScript: ScriptFn;
  private readonly cancelScript: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    if (!('inferqBatchAppend' in redis)) redis.defineCommand('inferqBatchAppend', { lua: BATCH_APPEND });
    if (!('inferqBatchSeal' in redis)) redis.defineCommand('inferqBatchSeal', { numberOfKeys: 3, lua: BATCH_SEAL });
    if (!('inferqBatchCancel' in redis)) redis.defineCommand('inferqBatchCancel', { numberOfKeys: 3, lua: BATCH_CANCEL });
    const r = redis as unknown as Record<string, ScriptFn>;
    this.appendScript = (...a) => r.inferqBatchAppend!(...a);
    this.sealScript = (...a) => r.inferqBatchSeal!(...a);
    this.cancelScript = (...a) => r.inferqBatchCancel!(...a);
  }

  key(id: string) {
    return `${this.prefix}:batch:${id}`;
  }
  private keys(id: string): [string, string, string] {
    return [this.key(id), `${this.key(id)}:ended`, `${this.key(id)}:items`];
  }
  /** An open batch lives this long past its last change; a finished one for the retention period. */
  private get idleTtl() {
    return this.retentionSeconds * 2;
  }

  async create(b: NewBatch): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(b.id), {
        id: b.id, status: 'open', model: b.model.name, model_version: b.model.version, top_k: b.topK, label_set: b.labelSet ?? '',
        created_at: b.createdAt, metadata: JSON.stringify(b.metadata), webhook_url: b.webhookUrl ?? '', deadline_at: b.deadlineAt ?? '',
        cache: b.cache === false ? 0 : 1,
        ...(b.source ? { source: b.source } : {}),
        total: 0, started: 0, succeeded: 0, failed: 0, canceled: 0,
      })
      .expire(this.key(b.id), this.idleTtl)
      .exec();
  }

  /** Adds job records to an open batch, all or none; returns 'ok', 'missing', or the status that refused. */
  async append(batchId: string, jobs: NewJob[]): Promise<string> {
    const [batch, , items] = this.keys(batchId);
    const jobKeys = jobs.map((j) => `${this.prefix}:job:${j.id}`);
    const args = jobs.map((j) => JSON.stringify(jobRecordFields(j)));
    const r = await this.appendScript(2 + jobs.length, batch, items, ...jobKeys, ...args);
    if (r !== 'ok') return r;
    // Told on the job-events channel so that event streams show the new total (seal and cancel publish inside
    // their scripts).
    const m = this.redis.multi().expire(batch, this.idleTtl).expire(items, this.idleTtl).publish(jobEventsChannel(this.prefix), JSON.stringify({ batch: batchId }));
    // Indexed for the deadline sweep after the append: should this not happen, the check at take still holds.
    const due = jobs.flatMap((j) => (j.deadlineAt === null ? [] : [j.deadlineAt, j.id]));
    if (due.length > 0) m.zadd(deadlinesKey(this.prefix), ...due);
    await m.exec();
    return r;
  }

  /** 'ok', 'ok_completed' (nothing was left running), 'missing', or the status that refused. */
  seal(batchId: string, now: string): Promise<string> {
    return this.sealScript(...this.keys(batchId), now, this.retentionSeconds, jobEventsChannel(this.prefix));
  }

  /** Marks the batch canceled; returns its previous status, 'completed_now', or 'missing'. */
  markCanceled(batchId: string, now: string): Promise<string> {
    return this.cancelScript(...this.keys(batchId), now, this.retentionSeconds, jobEventsChannel(this.prefix));
  }

  async get(batchId: string, now = Date.now()): Promise<BatchView | null> {
    const h = await this.redis.hgetall(this.key(batchId));
    return h && h.id ? toView(h, now) : null;
  }

  /** Whether the batch's items may be answered from the result cache (batches made before it: yes). */
  async usesCache(batchId: string): Promise<boolean> {
    return (await this.redis.hget(this.key(batchId), 'cache')) !== '0';
  }

  /** Whether the batch was made from JSON lines of image URLs (its CSV results get a custom_id column). */
  async fromUrls(batchId: string): Promise<boolean> {
    return (await this.redis.hget(this.key(batchId), 'source')) === 'urls';
  }

  /** Item ids in append order, from index `start`, at most `count`. */
  items(batchId: string, start: number, count: number): Promise<string[]> {
    return this.redis.lrange(this.keys(batchId)[2], start, start + count - 1);
  }

  /** Ended item ids in the order they ended, from index `start`, at most `count`. */
  ended(batchId: string, start: number, count: number): Promise<string[]> {
    return this.redis.lrange(this.keys(batchId)[1], start, start + count - 1);
  }
}

function toView(h: Record<string, string>, now: number): BatchView {
  const n = (k: string) => Number(h[k] ?? 0);
  const total = n('total');
  const ended = n('succeeded') + n('failed') + n('canceled');
  // Items are counted as started once, so started − (succeeded + failed) is what is running now.
  const processing = Math.max(0, n('started') - n('succeeded') - n('failed'));
  const createdMs = Date.parse(h.created_at ?? '');
  const rate = ended > 0 && now > createdMs ? ended / ((now - createdMs) / 1000) : 0;
  const running = h.status === 'open' || h.status === 'processing';
  return {
    id: h.id!,
    status: h.status as BatchStatus,
    counts: { total, queued: Math.max(0, total - ended - processing), processing, succeeded: n('succeeded'), failed: n('failed'), canceled: n('canceled') },
    progress: total > 0 ? Math.round((ended / total) * 10_000) / 10_000 : 0,
    eta_seconds: running && rate > 0 ? Math.round(((total - ended) / rate) * 10) / 10 : running ? null : 0,
    created_at: h.created_at ?? '',
    sealed_at: h.sealed_at || null,
    completed_at: h.completed_at || null,
    model: { name: h.model ?? '', version: h.model_version ?? '' },
    top_k: n('top_k'),
    label_set: h.label_set || null,
    metadata: safeJson(h.metadata),
    webhook: h.webhook_url ? { url: h.webhook_url } : null,
    deadline_at: h.deadline_at ? new Date(Number(h.deadline_at)).toISOString() : null,
  };
}

function safeJson(s: string | undefined): Record<string, unknown> {
  try {
    return s ? (JSON.parse(s) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
