import type { Redis } from 'ioredis';
import type { JobError, JobStatus, JobTimings, JobView, NewJob, WebhookDelivery } from './job-types.js';
import type { Prediction } from '../worker/postprocess.js';

/**
 * Job records: one Redis hash per job, `${prefix}:job:${id}`, the source of truth for what clients read.
 * State changes are Lua scripts so that cancel, start and finish cannot interleave badly, and so that a job run
 * twice (BullMQ is at-least-once) still stores exactly one result: only the first finisher wins.
 */
const MARK_PROCESSING = `
local s = redis.call('HGET', KEYS[1], 'status')
if s ~= 'queued' and s ~= 'processing' then return s or '' end
redis.call('HSET', KEYS[1], 'status', 'processing', 'started_at', ARGV[1], 'attempts', ARGV[2])
return 'ok'`;

const FINISH = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
if s == 'succeeded' or s == 'failed' or s == 'canceled' then return s end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 'ok'`;

const CANCEL = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
if s ~= 'queued' then return s end
redis.call('HSET', KEYS[1], 'status', 'canceled', 'completed_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 'ok'`;

export type FinishOutcome =
  | { kind: 'succeeded'; predictions: Prediction[]; timings: JobTimings }
  | { kind: 'failed'; error: JobError; timings?: Partial<JobTimings> };

export interface StoredJob {
  view: JobView;
  blobKey: string;
  requestId: string | null;
}

export class JobStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  key(id: string) {
    return `${this.prefix}:job:${id}`;
  }
  private deliveriesKey(id: string) {
    return `${this.prefix}:job:${id}:deliveries`;
  }
  /** Channel on which every status change of a job is published (`{id, status}`), for waiters and webhooks. */
  get channel() {
    return `${this.prefix}:job-events`;
  }

  async create(job: NewJob): Promise<void> {
    await this.redis.hset(this.key(job.id), {
      id: job.id,
      status: 'queued',
      model: job.model.name,
      model_version: job.model.version,
      created_at: job.createdAt,
      input: JSON.stringify(job.input),
      top_k: job.topK,
      blob_key: job.blobKey,
      metadata: JSON.stringify(job.metadata),
      priority: job.priority ?? '',
      batch_id: job.batchId ?? '',
      request_id: job.requestId ?? '',
      webhook: job.webhook ? JSON.stringify(job.webhook) : '',
      attempts: 0,
    });
  }

  /** Undo a `create` whose enqueue failed, so no record points at a job that will never run. */
  async remove(id: string): Promise<void> {
    await this.redis.del(this.key(id), this.deliveriesKey(id));
  }

  async get(id: string): Promise<StoredJob | null> {
    const [[, h], [, deliveries]] = (await this.redis
      .multi()
      .hgetall(this.key(id))
      .lrange(this.deliveriesKey(id), 0, -1)
      .exec()) as [[null, Record<string, string>], [null, string[]]];
    if (!h || !h.id) return null;
    return { view: toView(h, deliveries), blobKey: h.blob_key ?? '', requestId: h.request_id || null };
  }

  /** Marks a job as started unless it was canceled meanwhile; returns false when it must not run. */
  async markProcessing(id: string, startedAt: string, attempt: number): Promise<{ ok: boolean; status: string }> {
    const r = (await this.redis.eval(MARK_PROCESSING, 1, this.key(id), startedAt, attempt)) as string;
    if (r === 'ok') await this.publish(id, 'processing');
    return { ok: r === 'ok', status: r };
  }

  /** Stores the outcome once; returns true for the first finisher only (later duplicates are ignored). */
  async finish(id: string, outcome: FinishOutcome, completedAt: string): Promise<boolean> {
    const fields: (string | number)[] = ['status', outcome.kind, 'completed_at', completedAt];
    if (outcome.kind === 'succeeded') {
      fields.push('result', JSON.stringify({ predictions: outcome.predictions }), 'timings', JSON.stringify(outcome.timings));
    } else {
      fields.push('error', JSON.stringify(outcome.error));
      if (outcome.timings) fields.push('timings', JSON.stringify(outcome.timings));
    }
    const r = (await this.redis.eval(
      FINISH, 2, this.key(id), this.deliveriesKey(id), this.retentionSeconds, ...fields,
    )) as string;
    if (r === 'ok') await this.publish(id, outcome.kind);
    return r === 'ok';
  }

  /** Cancels a job that has not started; returns the status that prevented it otherwise. */
  async cancel(id: string, at: string): Promise<'ok' | 'missing' | JobStatus> {
    const r = (await this.redis.eval(CANCEL, 2, this.key(id), this.deliveriesKey(id), this.retentionSeconds, at)) as
      | 'ok'
      | 'missing'
      | JobStatus;
    if (r === 'ok') await this.publish(id, 'canceled');
    return r;
  }

  async addDelivery(id: string, d: WebhookDelivery): Promise<void> {
    await this.redis.multi().rpush(this.deliveriesKey(id), JSON.stringify(d)).expire(this.deliveriesKey(id), this.retentionSeconds).exec();
  }

  private async publish(id: string, status: string) {
    await this.redis.publish(this.channel, JSON.stringify({ id, status }));
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

function toView(h: Record<string, string>, deliveries: string[]): JobView {
  const webhook = parse<{ url: string; events: string[] } | null>(h.webhook, null);
  return {
    id: h.id!,
    status: h.status as JobStatus,
    model: { name: h.model ?? '', version: h.model_version ?? '' },
    created_at: h.created_at ?? '',
    started_at: h.started_at || null,
    completed_at: h.completed_at || null,
    input: parse(h.input, {} as JobView['input']),
    top_k: Number(h.top_k),
    result: parse(h.result, null),
    error: parse(h.error, null),
    timings: parse(h.timings, null),
    queue_position: null,
    batch_id: h.batch_id || null,
    metadata: parse(h.metadata, {}),
    priority: h.priority ? Number(h.priority) : null,
    attempts: Number(h.attempts ?? 0),
    webhook: webhook ? { ...webhook, deliveries: deliveries.map((d) => parse<WebhookDelivery>(d, {} as WebhookDelivery)) } : null,
  };
}
