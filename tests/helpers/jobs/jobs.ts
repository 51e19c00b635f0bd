import { Redis } from 'ioredis';
import type { RedisClient } from '../../../shared/redis.js';
import { COLOURS, solidImage } from '../model/tiny-model.js';
import { sleep } from '../processes/cleanup.js';

export interface Submitted {
  id: string;
  colour: string;
}

export interface SubmitAnswer {
  status: number;
  body: any;
  retryAfter: string | null;
  ms: number;
  /** Set when no HTTP answer came at all (timeout, reset). */
  error?: string;
}

/** One small photo-like image per colour of the tiny-colour model (its top-1 label is the colour's name). */
export async function colourImages(opts: { width?: number; height?: number; format?: 'jpeg' | 'png' | 'webp' } = {}): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const c of COLOURS) out.set(c.name, await solidImage(c.rgb, { width: opts.width ?? 96, height: opts.height ?? 64, format: opts.format }));
  return out;
}

/** POST /v1/jobs with one image; never throws, never waits more than `timeoutMs`. */
export async function submitImage(apiUrl: string, image: Buffer, timeoutMs = 10_000, filename = 'image.jpg'): Promise<SubmitAnswer> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(image)]), filename);
  const t0 = performance.now();
  try {
    const res = await fetch(`${apiUrl}/v1/jobs`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t0 };
  } catch (err) {
    return { status: 0, body: null, retryAfter: null, ms: performance.now() - t0, error: (err as Error).message };
  }
}

/** Submits `n` jobs cycling through the colours (so every batch mixes them); all must be accepted (202). */
export async function submitColours(apiUrl: string, images: Map<string, Buffer>, n: number, parallel = 8): Promise<Submitted[]> {
  const names = [...images.keys()];
  const out: Submitted[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const colour = names[(i * 3) % names.length]!;
      const r = await submitImage(apiUrl, images.get(colour)!, 10_000, `${colour}-${i}.jpg`);
      if (r.status !== 202) throw new Error(`submit ${i} answered ${r.status} ${r.error ?? JSON.stringify(r.body)}`);
      out[i] = { id: r.body.id as string, colour };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return out;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/** Direct reads of what the service keeps in Redis, for the assertions a client cannot make. */
export class RedisProbe {
  readonly redis: RedisClient;

  /** On a URL, or on a connection made by shared/redis.ts (Sentinel, Cluster), which the probe then owns. */
  constructor(
    conn: string | RedisClient,
    readonly prefix: string,
  ) {
    this.redis =
      typeof conn === 'string' ? new Redis(conn, { maxRetriesPerRequest: 1, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 100, 1_000) }) : conn;
    this.redis.on('error', () => undefined);
  }

  /** inferq's job records (`<prefix>:job:<id>`), as stored. */
  async records(ids: string[]): Promise<(Record<string, string> | null)[]> {
    const out: (Record<string, string> | null)[] = [];
    for (let i = 0; i < ids.length; i += 200) {
      const m = this.redis.multi();
      for (const id of ids.slice(i, i + 200)) m.hgetall(`${this.prefix}:job:${id}`);
      const rows = (await m.exec()) ?? [];
      for (const [, h] of rows) out.push(h && (h as Record<string, string>).id ? (h as Record<string, string>) : null);
    }
    return out;
  }

  async statuses(ids: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const p = this.redis.pipeline();
      for (const id of ids.slice(i, i + 500)) p.hget(`${this.prefix}:job:${id}`, 'status');
      for (const [err, s] of (await p.exec()) ?? []) {
        if (err) throw err;
        out.push((s as string | null) ?? 'missing');
      }
    }
    return out;
  }

  /** Waits (bounded) until every job has a terminal status; returns the statuses seen last. */
  async waitTerminal(ids: string[], timeoutMs: number, everyMs = ids.length > 50 ? 250 : 100): Promise<{ statuses: string[]; ms: number }> {
    const t0 = Date.now();
    let statuses: string[] = [];
    for (;;) {
      statuses = await this.statuses(ids).catch(() => statuses);
      if (statuses.length === ids.length && statuses.every((s) => TERMINAL.has(s))) return { statuses, ms: Date.now() - t0 };
      if (Date.now() - t0 > timeoutMs) return { statuses, ms: Date.now() - t0 };
      await sleep(everyMs);
    }
  }

  /**
   * What BullMQ's event stream of the inference queue says about each job: how often it was started (`active`)
   * and taken for stalled (`stalled`). The stream outlives the job hashes (completed jobs are removed at once).
   */
  async queueEvents(): Promise<Map<string, { started: number; stalled: number }>> {
    const entries = (await this.redis.xrange(`${this.prefix}:inference:events`, '-', '+')) as [string, string[]][];
    const out = new Map<string, { started: number; stalled: number }>();
    for (const [, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (!f.jobId || (f.event !== 'active' && f.event !== 'stalled')) continue;
      const e = out.get(f.jobId) ?? { started: 0, stalled: 0 };
      if (f.event === 'active') e.started++;
      else e.stalled++;
      out.set(f.jobId, e);
    }
    return out;
  }

  /** Started / stalled counts of the given jobs, in order (zeros for a job never started). */
  async runs(ids: string[]): Promise<{ started: number; stalled: number }[]> {
    const events = await this.queueEvents();
    return ids.map((id) => events.get(id) ?? { started: 0, stalled: 0 });
  }

  /** Job ids of the `stalled` events BullMQ wrote to the inference queue's event stream. */
  async stalledEvents(): Promise<string[]> {
    return [...(await this.queueEvents())].flatMap(([id, e]) => Array.from({ length: e.stalled }, () => id));
  }

  async scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  close(): void {
    this.redis.disconnect();
  }
}

/**
 * Listens on the job-events channel and counts, per job, how often a terminal status was published: the job
 * store publishes only when its Lua FINISH stored an outcome, so a count above 1 is a result stored twice, and
 * 0 for a job that ended is an end nobody was told about (waiters, webhooks).
 */
export class TerminalEvents {
  readonly counts = new Map<string, number>();
  /** The terminal status published last, per job. */
  readonly statuses = new Map<string, string>();
  private readonly sub: RedisClient;

  private constructor(conn: string | RedisClient) {
    this.sub = typeof conn === 'string' ? new Redis(conn, { maxRetriesPerRequest: null }) : conn;
    this.sub.on('error', () => undefined);
  }

  static async listen(conn: string | RedisClient, prefix: string): Promise<TerminalEvents> {
    const t = new TerminalEvents(conn);
    t.sub.on('message', (_channel: string, message: string) => {
      try {
        const { id, status } = JSON.parse(message) as { id: string; status: string };
        if (!TERMINAL.has(status)) return;
        t.counts.set(id, (t.counts.get(id) ?? 0) + 1);
        t.statuses.set(id, status);
      } catch {
        // not ours
      }
    });
    await t.sub.subscribe(`${prefix}:job-events`);
    return t;
  }

  /** Waits (bounded) until every job published a terminal status; returns how long that took. */
  async waitAll(ids: string[], timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    while (ids.some((id) => !this.statuses.has(id)) && Date.now() - t0 < timeoutMs) await sleep(100);
    return Date.now() - t0;
  }

  close(): void {
    this.sub.disconnect();
  }
}

/** Checks a finished job record: succeeded, with its own colour on top. Returns a reason when it is not. */
export function wrongResult(record: Record<string, string> | null, colour: string): string | null {
  if (!record) return 'record missing';
  if (record.status !== 'succeeded') return `status ${record.status} ${record.error ?? ''}`;
  const top = (JSON.parse(record.result ?? 'null') as { predictions: { label: string }[] } | null)?.predictions[0]?.label;
  return top === colour ? null : `top-1 ${top}, expected ${colour}`;
}
