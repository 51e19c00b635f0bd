import type { Redis } from 'ioredis';
import { closedLoop, idleLatency, openLoop, type LoadResult, type Workload } from './load.js';
import { Probe } from './measure.js';
import type { BenchOptions } from './options.js';
import { redisDelta, redisSnapshot } from './redis-stats.js';
import { traceRedis, type TraceResult } from './redis-trace.js';
import { toRunResult, type RunResult } from './run-result.js';
import { startStack, type RunningStack, type Startup } from './stack.js';
import { round, sleep } from './stats.js';
import type { Mode } from './http-client.js';
import { runWrk, wrkAvailable, wrkLoad } from './wrk.js';

export interface LayoutResult {
  layout: string;
  description: string;
  settings: Record<string, string>;
  startup: Startup;
  /** Background Redis traffic with no jobs (heartbeats, stalled checks, blocking pops), commands per second. */
  idleRedisCommandsPerSecond: number;
  idle: { wait: RunResult; poll: RunResult };
  closed: RunResult[];
  closedPoll: RunResult | null;
  /** Closed loops driven by wrk (empty when it is not installed): the service's cost without the Node client's. */
  wrk: RunResult[];
  /** Highest closed-loop throughput (Prefer: wait, Node or wrk), jobs/s: what the open-loop rates are fractions of. */
  capacity: number;
  open: RunResult[];
  openPoll: RunResult | null;
  redisMemory: { perJobBytes: number; fromRun: string; jobRecordBytes: number | null; bullJobBytes: number | null };
  trace: (TraceResult & { jobs: number }) | null;
  peakRssMb: Record<string, number>;
}

const SETTINGS = ['BATCH_MAX_SIZE', 'BATCH_MAX_DELAY_MS', 'WORKER_CONCURRENCY', 'INFERENCE_THREADS', 'UV_THREADPOOL_SIZE'];

/** Starts one layout of the service, runs the whole load sequence against it, and stops it. */
export async function runLayout(
  layout: 'standalone' | 'split',
  redis: { url: string; pid: number; client: Redis },
  w: Workload,
  o: BenchOptions['system'],
  log: (m: string) => void,
): Promise<LayoutResult> {
  const workerEnv: Record<string, string> = layout === 'split' ? { INFERENCE_THREADS: '1' } : {};
  const stack = await startStack(layout, redis.url, { workers: o.splitWorkers, workerEnv });
  try {
    log(`  ${layout}: ready in ${stack.startup.systemReadyMs} ms (API ${stack.startup.apiReadyMs} ms, worker ${stack.startup.workerReadyMs.join('/')} ms)`);
    return await exercise(stack, redis, w, o, log);
  } finally {
    await stack.stop();
  }
}

async function exercise(stack: RunningStack, redis: { pid: number; client: Redis; url: string }, w: Workload, o: BenchOptions['system'], log: (m: string) => void): Promise<LayoutResult> {
  const { client } = stack;
  const watched = [...stack.procs, { label: 'redis', pid: redis.pid }, { label: 'bench', pid: process.pid }];
  const probe = new Probe(redis.client, watched, stack.workerMetricsUrls, stack.apiMetricsUrl);
  const measure = async (head: Pick<RunResult, 'name' | 'kind' | 'mode' | 'concurrency' | 'offeredRate'>, load: () => Promise<LoadResult>) => {
    const before = await probe.begin();
    const l = await load();
    const r = toRunResult(head, l, await probe.end(before), idleRate);
    log(`  ${stack.layout} ${r.name}: ${r.ok}/${r.jobs} ok, ${r.throughput} jobs/s, p50 ${r.latency.p50} p99 ${r.latency.p99} ms, batch ${r.batches.meanBatchSize}, other load ${r.otherCores} cores`);
    return r;
  };

  // A short wait here: a warm-up job takes well under a second, so a wait that runs out means the API does not
  // hear of job ends, and every later run would take 60 s per job. Stop early and say why.
  const warm = await closedLoop(client, w, { concurrency: 4, jobs: o.warmupJobs, maxMs: 60_000, mode: 'wait', waitSeconds: 10 });
  const stuck = warm.samples.filter((s) => s.waitTimedOut).length;
  if (stuck > 0) {
    throw new Error(`${stuck} of ${warm.samples.length} warm-up jobs: Prefer: wait=10 answered 202 although the job ended within it: the API did not hear of job ends (job-events subscription lost?)`);
  }
  const failedWarm = warm.samples.filter((s) => !s.ok);
  if (failedWarm.length) throw new Error(`warm-up jobs failed: ${failedWarm[0]!.error ?? failedWarm[0]!.job?.error?.message}`);
  await sleep(200);
  const b0 = await redisSnapshot(redis.client);
  await sleep(o.idleBaselineMs);
  const idleRedis = redisDelta(b0, await redisSnapshot(redis.client));
  const idleRate = (idleRedis.commands * 1000) / o.idleBaselineMs;

  const idle = {
    wait: await measure({ name: 'idle, one at a time, wait', kind: 'idle', mode: 'wait' }, () => idleLatency(client, w, { jobs: o.idleJobs, gapMs: o.idleGapMs, mode: 'wait' })),
    poll: await measure({ name: 'idle, one at a time, poll', kind: 'idle', mode: 'poll' }, () => idleLatency(client, w, { jobs: o.idleJobs, gapMs: o.idleGapMs, mode: 'poll' })),
  };
  const closed: RunResult[] = [];
  for (const c of o.concurrencies) {
    closed.push(await measure({ name: `closed c=${c}, wait`, kind: 'closed', mode: 'wait', concurrency: c }, () =>
      closedLoop(client, w, { concurrency: c, jobs: o.closedJobs, maxMs: o.closedMaxMs, mode: 'wait' })));
  }
  const closedPoll = await measure({ name: `closed c=${o.pollConcurrency}, poll`, kind: 'closed', mode: 'poll', concurrency: o.pollConcurrency }, () =>
    closedLoop(client, w, { concurrency: o.pollConcurrency, jobs: o.closedJobs, maxMs: o.closedMaxMs, mode: 'poll' }));
  const wrk: RunResult[] = [];
  if (o.wrkConcurrencies.length && wrkAvailable()) {
    const url = `http://127.0.0.1:${stack.apiPort}`;
    for (const c of o.wrkConcurrencies) {
      wrk.push(await measure({ name: `wrk c=${c}, wait`, kind: 'closed', mode: 'wait', concurrency: c }, async () =>
        wrkLoad(await runWrk(url, w.bodies, { connections: c, seconds: o.wrkSeconds }))));
    }
  } else {
    log(`  wrk not used (${o.wrkConcurrencies.length ? 'not installed' : 'none asked for'}): capacity is measured with the Node client`);
  }
  const capacity = Math.max(...closed.map((r) => r.throughput), ...wrk.map((r) => r.throughput));

  const openRun = (fraction: number, mode: Mode) => {
    const rate = round(fraction * capacity, 1);
    const jobs = Math.min(o.openMaxJobs, Math.ceil(rate * o.openSeconds));
    return measure({ name: `open ${Math.round(fraction * 100)} % (${rate}/s), ${mode}`, kind: 'open', mode, offeredRate: rate }, () =>
      openLoop(client, w, { rate, jobs, maxMs: o.openSeconds * 1000, mode }));
  };
  const open: RunResult[] = [];
  for (const f of o.openFractions) open.push(await openRun(f, 'wait'));
  const openPoll = o.openPollFraction === null ? null : await openRun(o.openPollFraction, 'poll');

  let trace: LayoutResult['trace'] = null;
  if (o.traceJobs > 0) {
    const t = await traceRedis(redis.url, () => idleLatency(client, w, { jobs: o.traceJobs, gapMs: 0, mode: 'wait' }));
    trace = { ...t.trace, jobs: t.result.samples.filter((s) => s.ok).length };
  }

  // Records are kept for the retention period; BullMQ keeps its last 1000 completed jobs too. The first closed run
  // starts with fewer than 1000 kept, so its growth per job is what one retained job costs.
  const memRun = closed[0] ?? idle.wait;
  const sampleId = await latestJobId(redis.client, stack.prefix);
  const usage = async (key: string) => (sampleId ? ((await redis.client.call('MEMORY', 'USAGE', key)) as number | null) : null);

  const all = [idle.wait, idle.poll, ...closed, closedPoll, ...wrk, ...open, ...(openPoll ? [openPoll] : [])];
  const peakRssMb: Record<string, number> = {};
  for (const r of all) for (const [label, p] of Object.entries(r.processes)) peakRssMb[label] = Math.max(peakRssMb[label] ?? 0, p.peakRssMb);
  return {
    layout: stack.layout,
    description: stack.layout === 'standalone' ? `\`npm start\`: launcher → API + ${stack.workerMetricsUrls.length} worker(s)` : `API + ${stack.workerMetricsUrls.length} workers (INFERENCE_THREADS=1)`,
    settings: Object.fromEntries(SETTINGS.filter((k) => stack.env[k] ?? process.env[k]).map((k) => [k, (stack.env[k] ?? process.env[k])!])),
    startup: stack.startup,
    idleRedisCommandsPerSecond: round(idleRate, 1),
    idle,
    closed,
    closedPoll,
    wrk,
    capacity,
    open,
    openPoll,
    redisMemory: {
      perJobBytes: memRun.redis.memoryPerJobBytes,
      fromRun: memRun.name,
      jobRecordBytes: await usage(`${stack.prefix}:job:${sampleId}`),
      bullJobBytes: await usage(`${stack.prefix}:inference:${sampleId}`),
    },
    trace,
    peakRssMb,
  };
}

/** The closed-loop run (Node or wrk) with the highest throughput: where CPU per job at capacity is read. */
export function atCapacity(l: LayoutResult): RunResult {
  return [...l.closed, ...l.wrk].reduce((a, b) => (b.throughput > a.throughput ? b : a));
}

/** Some job id under the prefix, to weigh one record and one BullMQ job with MEMORY USAGE. */
async function latestJobId(r: Redis, prefix: string): Promise<string | null> {
  let cursor = '0';
  for (let i = 0; i < 1000; i++) {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:job:*`, 'COUNT', 1000);
    const key = keys.find((k) => !k.endsWith(':deliveries'));
    if (key) return key.slice(`${prefix}:job:`.length);
    if (next === '0') break;
    cursor = next;
  }
  return null;
}
