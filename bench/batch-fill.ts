import { idleLatency, openLoop, Workload } from './load.js';
import { loadPhotos, multipartBody } from './photos.js';
import { Probe } from './measure.js';
import { scrape, sumOf } from './prom.js';
import { installCleanup, killAllGroups } from './procs.js';
import { startRedis } from './redis-stats.js';
import { toRunResult, type RunResult } from './run-result.js';
import { startStack } from './stack.js';
import { median, round, sleep } from './stats.js';
import { runWrk, wrkAvailable, wrkLoad } from './wrk.js';
import { arg } from './args.js';

/**
 * Batch fill at capacity, variant against variant: `node --import tsx bench/batch-fill.ts --variants
 * '{"base":{},"delay25":{"BATCH_MAX_DELAY_MS":"25"}}' [--rounds 3] [--seconds 8] [--connections 32] [--idle 15] [--open-rate 60]`.
 * Each round starts every variant's `npm start` stack in turn (fresh processes, the variant's environment), sends
 * `--idle` lone `Prefer: wait` jobs, then a wrk closed loop, then (with `--open-rate`) 6 s of Poisson arrivals, and stops it: rounds interleave, so the machine's
 * drift hits every variant alike. Prints one JSON line per run and, at the end, each variant's medians.
 */

const variants = JSON.parse(arg('--variants') ?? '{"base":{}}') as Record<string, Record<string, string>>;
const rounds = Number(arg('--rounds') ?? 3);
const seconds = Number(arg('--seconds') ?? 8);
const connections = Number(arg('--connections') ?? 32);
const idleJobs = Number(arg('--idle') ?? 15);
const openRate = Number(arg('--open-rate') ?? 0);
if (!wrkAvailable()) throw new Error('bench/batch-fill.ts needs /usr/bin/wrk');

/** What one variant's run is compared by. */
interface Row {
  variant: string;
  round: number;
  jobsPerS: number;
  p50: number;
  p99: number;
  cpuMsPerJob: number;
  apiMs: number;
  workersMs: number;
  redisMs: number;
  meanBatch: number;
  flushes: Record<string, number>;
  batchRunMs: number;
  idleP50: number;
  /** Open loop at --open-rate (0: not run): client latency p50/p99, ms. */
  openP50: number;
  openP99: number;
  otherCores: number;
  apiReadyRssMb: number;
  apiPeakRssMb: number;
  workerPeakRssMb: number;
  /** The API's heap by V8 space and its external memory right after the loop, MB (prom-client's gauges). */
  apiHeapMb: Record<string, number>;
}

const row = (variant: string, r: number, cap: RunResult, idle: RunResult, open: RunResult | null, readyRss: Record<string, number>, apiHeapMb: Record<string, number>): Row => {
  const p = cap.processes;
  const workers = Object.entries(p).filter(([k]) => k.startsWith('worker')).reduce((a, [, v]) => a + v.cpuMsPerJob, 0);
  return {
    variant, round: r, jobsPerS: cap.throughput, p50: cap.latency.p50, p99: cap.latency.p99, cpuMsPerJob: cap.serviceCpuMsPerJob,
    apiMs: p.api?.cpuMsPerJob ?? NaN, workersMs: round(workers), redisMs: p.redis?.cpuMsPerJob ?? NaN,
    meanBatch: cap.batches.meanBatchSize, flushes: cap.batches.flushes, batchRunMs: cap.batches.meanBatchInferenceMs,
    idleP50: idle.latency.p50, openP50: open?.latency.p50 ?? NaN, openP99: open?.latency.p99 ?? NaN, otherCores: cap.otherCores, apiReadyRssMb: readyRss.api ?? NaN, apiPeakRssMb: p.api?.peakRssMb ?? NaN, apiHeapMb,
    workerPeakRssMb: Math.max(...Object.entries(p).filter(([k]) => k.startsWith('worker')).map(([, v]) => v.peakRssMb)),
  };
};

installCleanup();
const photos = await loadPhotos();
const w = new Workload(photos, photos.map(multipartBody));
const redis = await startRedis();
const rows: Row[] = [];
try {
  for (let r = 1; r <= rounds; r++) {
    for (const [name, env] of Object.entries(variants)) {
      const stack = await startStack('standalone', redis.url, { workerEnv: env });
      try {
        const watched = [...stack.procs, { label: 'redis', pid: redis.pid }, { label: 'bench', pid: process.pid }];
        const probe = new Probe(redis.client, watched, stack.workerMetricsUrls, stack.apiMetricsUrl);
        const url = `http://127.0.0.1:${stack.apiPort}`;
        await runWrk(url, w.bodies, { connections, seconds: 2 }); // warm-up
        await sleep(300);
        let b = await probe.begin();
        const idleLoad = await idleLatency(stack.client, w, { jobs: idleJobs, gapMs: 30, mode: 'wait' });
        const idle = toRunResult({ name: 'idle', kind: 'idle', mode: 'wait' }, idleLoad, await probe.end(b));
        b = await probe.begin();
        const load = wrkLoad(await runWrk(url, w.bodies, { connections, seconds }));
        const cap = toRunResult({ name: `wrk c=${connections}`, kind: 'closed', mode: 'wait', concurrency: connections }, load, await probe.end(b));
        const m = await scrape(stack.apiMetricsUrl);
        let open: RunResult | null = null;
        if (openRate > 0) {
          b = await probe.begin();
          const o = await openLoop(stack.client, w, { rate: openRate, jobs: Math.ceil(openRate * 6), maxMs: 6000, mode: 'wait' });
          open = toRunResult({ name: `open ${openRate}/s`, kind: 'open', mode: 'wait', offeredRate: openRate }, o, await probe.end(b));
        }
        const mb = (n: string, l: Record<string, string> = {}) => round(sumOf(m, n, l) / 2 ** 20, 1);
        const heap = Object.fromEntries(['new', 'old', 'code', 'large_object', 'new_large_object'].map((sp) => [sp, mb('nodejs_heap_space_size_total_bytes', { space: sp })]));
        const x = row(name, r, cap, idle, open, stack.startup.rssAtReadyMb, { ...heap, external: mb('nodejs_external_memory_bytes'), rss: mb('process_resident_memory_bytes') });
        rows.push(x);
        process.stdout.write(`${JSON.stringify(x)}\n`);
      } finally {
        await stack.stop();
      }
    }
  }
  const med = (v: string, k: keyof Row) => round(median(rows.filter((x) => x.variant === v).map((x) => x[k] as number)), 2);
  for (const v of Object.keys(variants)) {
    const keys: (keyof Row)[] = ['jobsPerS', 'cpuMsPerJob', 'apiMs', 'workersMs', 'redisMs', 'meanBatch', 'batchRunMs', 'p50', 'p99', 'idleP50', 'openP50', 'openP99', 'otherCores', 'apiReadyRssMb', 'apiPeakRssMb', 'workerPeakRssMb'];
    process.stdout.write(`MEDIAN ${v} ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, med(v, k)])))}\n`);
  }
} finally {
  await redis.stop();
  killAllGroups();
}
process.exit(0);
