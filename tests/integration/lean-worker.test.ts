import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { createConsumer, giveBack, openQueue, toBullPriority, type Consumer, type FailureInfo, type InferencePayload, type JobQueue } from '../../shared/queue/index.js';
import { hasDrainedFlag } from '../../shared/queue/lean-worker.js';
import { loadConfig, type Config } from '../../shared/config.js';
import { RedisServer } from '../helpers/redis/redis-server.js';
import { uniquePrefix } from '../helpers/redis/test-redis.js';

// The consumer's fetch policies (shared/queue/lean-worker.ts), on a redis-server of the test's own so that INFO
// commandstats counts nothing but this file's traffic. Counts and invariants only, never speed.
let server: RedisServer;
let redis: Redis;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await RedisServer.start({ appendfsync: 'no' });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
// Each test's consumers and queues close when it ends: a consumer left blocked on its marker would show in the
// next test's CLIENT LIST and, every 5 s, in its command counts.
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close().catch(() => undefined);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const payload = (jobId: string): InferencePayload => ({ jobId, model: 'tiny', blobKey: `blob-${jobId}`, topK: 1 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function setup(extra: Record<string, string> = {}): { config: Config; queue: JobQueue<'inference'> } {
  const config = loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: uniquePrefix('lean'), ...extra });
  const queue = openQueue('inference', config, redis);
  opened.push(queue);
  return { config, queue };
}

function track<C extends Consumer<'inference'>>(c: C): C {
  c.onError(() => undefined);
  opened.push(c);
  return c;
}

async function calls(): Promise<Record<string, number>> {
  const stats = await server.info('commandstats');
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k.replace(/^cmdstat_/, ''), Number(/calls=(\d+)/.exec(v)?.[1] ?? 0)]));
}

const delta = (a: Record<string, number>, b: Record<string, number>, cmd: string) => (b[cmd] ?? 0) - (a[cmd] ?? 0);

/** Connections blocked in BZPOPMIN on a queue marker right now (CLIENT LIST: flag `b`, last command bzpopmin). */
async function blockedOnMarker(): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((l) => /\bcmd=bzpopmin\b/.test(l) && /\bflags=\S*b/.test(l)).length;
}

/**
 * Waits until `consumers` consumers are blocked on the marker: their start (and first stalled check) is over, or
 * the round a take left behind (the re-added marker, one empty moveToActive) is. A blocked client is served at
 * once while a marker exists, so all of them blocked means no marker is left: the counts below are then exact,
 * whatever the machine's speed.
 */
const quiet = (consumers: number) => until(`${consumers} consumer(s) blocked on the marker`, async () => (await blockedOnMarker()) === consumers);

/**
 * `n` idle consumers (one inference consumer each, noting the jobs they ran) take `jobs` jobs one at a time, each
 * added once all of them are back on the marker. Returns the command counts around the jobs and how many
 * BZPOPMIN timeouts (drainDelay, 5 s: each followed by one more empty moveToActive) the run may have had.
 */
async function idleJobs(n: number, jobs: number, name: string) {
  const { config, queue } = setup();
  const done = new Set<string>();
  const consumers = Array.from({ length: n }, () => track(createConsumer('inference', async (job) => void done.add(job.data.jobId), config, redis, {
    concurrency: 4, lockDurationMs: 60_000, stalledIntervalMs: 600_000,
  })));
  for (const c of consumers) void c.run();
  await quiet(n);
  const before = await calls();
  const t0 = Date.now();
  for (let i = 0; i < jobs; i++) {
    const id = `${name}-${i}`;
    await queue.add({ data: payload(id), jobId: id, priority: toBullPriority(null) });
    await until(`job ${id}`, async () => done.has(id) && !(await queue.has(id)));
    await quiet(n); // the stale marker's round is over before the next job arrives
  }
  const after = await calls();
  return { before, after, timeouts: n * Math.ceil((Date.now() - t0) / 5_000) };
}

it('BullMQ still has the private `drained` flag the lean worker sets (a BullMQ upgrade that drops it fails here)', async () => {
  const worker = new Worker('probe', null, { connection: redis, prefix: uniquePrefix('probe'), autorun: false });
  try {
    expect(hasDrainedFlag(worker)).toBe(true);
  } finally {
    await worker.close();
  }
});

it('an idle job costs two moveToActive calls (the take and the stale marker), no inline fetch, ≤ 52 commands', async () => {
  const jobs = 10;
  const { before, after, timeouts } = await idleJobs(1, jobs, 'idle');
  // Every moveToActive, and every fetch inside moveToFinished, runs exactly one RPOPLPUSH (the wait list is empty:
  // these jobs are prioritized). Per job: the take and the empty one after the marker its own script re-added.
  // BullMQ's own loop: 3 moveToActive and 1 inline fetch per idle job.
  const fetches = delta(before, after, 'rpoplpush');
  expect(fetches).toBeGreaterThanOrEqual(2 * jobs);
  expect(fetches).toBeLessThanOrEqual(2 * jobs + timeouts);
  // Script calls: the add, the two moveToActive, moveToFinished; so any inline fetch would have shown as an extra
  // RPOPLPUSH above without an EVALSHA of its own.
  // (A script's first call on this server is an EVAL: ioredis falls back to it when EVALSHA answers NOSCRIPT.)
  const scripts = delta(before, after, 'evalsha') + delta(before, after, 'eval');
  expect(scripts).toBeGreaterThanOrEqual(4 * jobs);
  expect(scripts).toBeLessThanOrEqual(4 * jobs + timeouts);
  const bzpopmin = delta(before, after, 'bzpopmin');
  expect(bzpopmin).toBeLessThanOrEqual(2 * jobs + timeouts + 1);
  // From the Lua (BullMQ 5.81, this queue's options): addPrioritizedJob 1 + 10, the take 1 + 11, the empty
  // moveToActive 1 + 6, moveToFinished without fetch 1 + 17, two BZPOPMIN: 50 (BullMQ's own loop: 64).
  const total = Object.keys(after).filter((k) => k !== 'info').reduce((n, k) => n + delta(before, after, k), 0);
  expect(total / jobs).toBeLessThanOrEqual(52 + (timeouts * 8) / jobs);
}, 60_000);

it('two idle workers: the one that did not take the job eats the stale marker, the taker fetches nothing inline', async () => {
  // Redis hands the marker the taker's script re-adds to the consumer blocked longest: the other one, which eats
  // it with one empty moveToActive while the taker, back on the marker, fetches nothing inline.
  const jobs = 10;
  const { before, after, timeouts } = await idleJobs(2, jobs, 'two');
  // BullMQ's own loop: 3 moveToActive and 1 inline fetch per job here too.
  const fetches = delta(before, after, 'rpoplpush');
  expect(fetches).toBeGreaterThanOrEqual(2 * jobs);
  expect(fetches).toBeLessThanOrEqual(2 * jobs + timeouts);
}, 60_000);

it('under a backlog every slot is filled, never more, and every job runs once', async () => {
  const { config, queue } = setup();
  let running = 0;
  let most = 0;
  const ran = new Map<string, number>();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const consumer = track(createConsumer('inference', async (job) => {
    running++;
    most = Math.max(most, running);
    ran.set(job.data.jobId, (ran.get(job.data.jobId) ?? 0) + 1);
    await gate;
    await sleep(5);
    running--;
  }, config, redis, { concurrency: 8, lockDurationMs: 30_000 }));
  const ids = Array.from({ length: 60 }, (_, i) => `b-${i}`);
  await queue.addBulk(ids.map((id) => ({ data: payload(id), jobId: id, priority: toBullPriority(null) })));
  const before = await calls();
  void consumer.run();
  await until('all 8 slots busy', () => running === 8);
  await sleep(200);
  expect(running).toBe(8);
  expect(await queue.count()).toBe(52);
  release();
  await until('all jobs done', () => ids.every((id) => ran.get(id) === 1) && running === 0);
  expect(most).toBe(8);
  expect([...ran.values()].every((n) => n === 1)).toBe(true);
  await until('active list empty', async () => (await queue.counts('active')).active === 0);
  // A backlog is served BullMQ's way: each end fetches the next job inline, no wait on the marker per take. One
  // RPOPLPUSH per fetch: each job once, plus the empty ones once the queue ran dry (at most one per slot, and the
  // loop's own); the marker is waited on for the first take and once the queue is empty.
  const after = await calls();
  expect(delta(before, after, 'rpoplpush')).toBeLessThanOrEqual(ids.length + 8 + 2);
  expect(delta(before, after, 'bzpopmin')).toBeLessThanOrEqual(4);
}, 60_000);

it('renews the lock of a job that runs past its lock duration: no other worker takes it for stalled', async () => {
  const { config, queue } = setup();
  const runs: string[] = [];
  const slow = track(createConsumer('inference', async (job) => {
    runs.push(job.data.jobId);
    await sleep(6_000);
  }, config, redis, { concurrency: 2, lockDurationMs: 2_000, stalledIntervalMs: 300 }));
  // A second consumer checks for stalled jobs every 300 ms: a lock left to expire would be found. The lock is
  // renewed every second (half its duration), so only an event-loop stall of a second would lose it.
  const watcher = track(createConsumer('inference', async (job) => void runs.push(`watcher:${job.data.jobId}`), config, redis, {
    concurrency: 1, lockDurationMs: 2_000, stalledIntervalMs: 300,
  }));
  const stalledFailures: string[] = [];
  for (const c of [slow, watcher]) c.onFailed((job, _err, info) => void (info.stalled && stalledFailures.push(job.data.jobId)));
  void slow.run();
  await queue.add({ data: payload('long'), jobId: 'long', priority: toBullPriority(null) });
  await until('the slow consumer took it', () => runs.includes('long'));
  void watcher.run();
  await until('the job completed', async () => !(await queue.has('long')), 20_000);
  expect(runs).toEqual(['long']);
  expect(stalledFailures).toEqual([]);
}, 30_000);

it('a job whose worker died is found by the stalled check and run again', async () => {
  const { config, queue } = setup();
  await queue.add({ data: payload('orphan'), jobId: 'orphan', priority: toBullPriority(null) });
  // A worker that takes the job and dies with it: a manual fetch holds the lock and never renews it.
  const dying = new Worker(queue.name, null, { connection: redis, prefix: config.redis.prefix, lockDuration: 300, autorun: false });
  expect((await dying.getNextJob('dying-token'))?.id).toBe('orphan');
  await dying.close();
  const ran: { id: string; stalls: number }[] = [];
  const consumer = track(createConsumer('inference', async (job) => void ran.push({ id: job.data.jobId, stalls: job.stalledCounter }), config, redis, {
    concurrency: 2, lockDurationMs: 5_000, stalledIntervalMs: 200, maxStalledCount: 1,
  }));
  void consumer.run();
  await until('the orphan ran', () => ran.length > 0);
  expect(ran).toEqual([{ id: 'orphan', stalls: 1 }]);
  await until('it completed', async () => !(await queue.has('orphan')));
}, 30_000);

it('retries per the job’s attempts and the consumer’s backoff; onFailed says which failure is final', async () => {
  const { config, queue } = setup();
  await queue.bull.add('infer', payload('flaky'), { jobId: 'flaky', attempts: 3, backoff: { type: 'custom' } });
  await queue.bull.add('infer', payload('broken'), { jobId: 'broken', attempts: 2, backoff: { type: 'custom' } });
  const attempts = new Map<string, number>();
  const failures: [string, FailureInfo][] = [];
  const backoffs: number[] = [];
  const consumer = track(createConsumer('inference', async (job) => {
    const n = (attempts.get(job.data.jobId) ?? 0) + 1;
    attempts.set(job.data.jobId, n);
    if (job.data.jobId === 'broken' || n < 3) throw new Error(`attempt ${n} failed`);
  }, config, redis, {
    concurrency: 2, lockDurationMs: 5_000, backoff: (made) => (backoffs.push(made), 50),
  }));
  consumer.onFailed((job, _err, info) => failures.push([job.data.jobId, info]));
  void consumer.run();
  await until('both ended', () => attempts.get('flaky') === 3 && failures.filter(([id]) => id === 'broken').length === 2);
  await until('flaky completed', async () => !(await queue.has('flaky')));
  expect(failures.filter(([id]) => id === 'flaky')).toEqual([['flaky', { stalled: false, final: false }], ['flaky', { stalled: false, final: false }]]);
  expect(failures.filter(([id]) => id === 'broken')).toEqual([['broken', { stalled: false, final: false }], ['broken', { stalled: false, final: true }]]);
  expect(backoffs.sort()).toEqual([1, 1, 2]);
  expect(await queue.bull.getJobState('broken')).toBe('failed');
}, 30_000);

it('close lets the jobs in hand finish; one the processor gives back on closing returns to the queue unspent', async () => {
  const { config, queue } = setup();
  let closing = false;
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const consumer = track(createConsumer('inference', async (job, token) => {
    started.push(job.data.jobId);
    await gate;
    if (closing && job.data.jobId === 'late') return giveBack(job, token!);
  }, config, redis, { concurrency: 2, lockDurationMs: 30_000 }));
  void consumer.run();
  for (const id of ['kept', 'late']) await queue.add({ data: payload(id), jobId: id, priority: toBullPriority(null) });
  await until('both in hand', () => started.length === 2);
  closing = true;
  let closed = false;
  const closingDone = consumer.close().then(() => (closed = true));
  await sleep(300);
  expect(closed).toBe(false);
  release();
  await closingDone;
  expect(await queue.has('kept')).toBe(false);
  const late = await queue.bull.getJob('late');
  expect(late?.attemptsMade).toBe(0);
  expect(['delayed', 'waiting', 'prioritized']).toContain(await late!.getState());
  // Another consumer runs it, as a first attempt.
  const ran: number[] = [];
  const next = track(createConsumer('inference', async (job) => void ran.push(job.attemptsMade), config, redis, { concurrency: 1, lockDurationMs: 30_000 }));
  void next.run();
  await until('the given-back job ran', () => ran.length === 1);
  expect(ran).toEqual([0]);
}, 30_000);
