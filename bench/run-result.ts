import type { LoadResult } from './load.js';
import type { Window } from './measure.js';
import type { Mode } from './http-client.js';
import type { BatchStats } from './prom.js';
import { perJob } from './redis-stats.js';
import { round, summarize, type Summary } from './stats.js';

/** One measured piece of load, with what it cost each process and Redis. */
export interface RunResult {
  name: string;
  kind: 'idle' | 'closed' | 'open';
  mode: Mode;
  concurrency?: number;
  /** Open loop: arrivals per second asked for. */
  offeredRate?: number;
  jobs: number;
  ok: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** Successful jobs per second, first send to last answer. */
  throughput: number;
  top1: number;
  /** Client-side submit → result, ms. */
  latency: Summary;
  /** From each job's `timings` (ms; batch_size in images). */
  timings: { queue: Summary; preprocess: Summary; inference: Summary; total: Summary; batchSize: Summary };
  /** Client latency minus the job's total_ms: upload, API checks, enqueue, result notification, answer. */
  outsideJobMs: Summary;
  pollsPerJob: number;
  /** Jobs whose `Prefer: wait` answered 202 (the wait ran out) and were polled to their end. */
  waitTimeouts: number;
  batches: BatchStats;
  eventLoop: Window['eventLoop'];
  /** CPU of the service's processes and Redis per job (the bench client excluded), ms. */
  serviceCpuMsPerJob: number;
  processes: Record<string, { cpuMsPerJob: number; cores: number; mainThreadCpuMsPerJob: number; rssMb: number; peakRssMb: number; threads: number }>;
  redis: {
    commandsPerJob: number;
    /** commandsPerJob minus the background rate measured with no jobs, over the run's duration. */
    netCommandsPerJob: number;
    totalCommandsPerJob: number; byCommandPerJob: Record<string, number>; memoryDeltaBytes: number; memoryPerJobBytes: number; keysDelta: number };
  /** The load generator: `node` (this process, fetch) or `wrk`, and its own CPU per job either way. */
  client: { tool: 'node' | 'wrk'; cpuMsPerJob: number; loopDelayP99Ms: number };
  /** Cores other users of the machine kept busy during the run (see Window.otherCores). */
  otherCores: number;
}

export function toRunResult(
  head: Pick<RunResult, 'name' | 'kind' | 'mode' | 'concurrency' | 'offeredRate'>,
  load: LoadResult,
  w: Window,
  idleCommandsPerSecond = 0,
): RunResult {
  const ok = load.samples.filter((s) => s.ok);
  const okCount = load.counted?.ok ?? ok.length;
  const jobs = Math.max(1, okCount);
  const t = (f: (x: NonNullable<(typeof ok)[number]['job']>['timings'] & object) => number) =>
    summarize(ok.flatMap((s) => (s.job?.timings ? [f(s.job.timings)] : [])));
  const processes: RunResult['processes'] = {};
  for (const [label, u] of Object.entries(w.procs)) {
    processes[label] = {
      cpuMsPerJob: round(u.cpuMs / jobs),
      cores: round(u.cores),
      mainThreadCpuMsPerJob: round(u.mainThreadCpuMs / jobs),
      rssMb: round(u.rssMb, 0),
      peakRssMb: round(u.peakRssMb, 0),
      threads: u.threads,
    };
  }
  return {
    ...head,
    client: { tool: load.counted ? 'wrk' : 'node', cpuMsPerJob: round(load.clientCpuMs / jobs), loopDelayP99Ms: round(load.clientLoopP99Ms) },
    jobs: load.counted?.sent ?? load.samples.length,
    ok: okCount,
    failed: (load.counted?.sent ?? load.samples.length) - okCount,
    errors: load.counted?.errors ?? [...new Set(load.samples.filter((s) => !s.ok).map((s) => s.error ?? s.job?.error?.message ?? 'failed'))].slice(0, 3),
    elapsedMs: round(load.elapsedMs, 0),
    throughput: round((okCount * 1000) / load.elapsedMs, 1),
    top1: load.counted ? NaN : round(ok.filter((s) => s.correct).length / jobs, 3),
    latency: load.counted?.latency ?? summarize(ok.map((s) => s.latencyMs)),
    timings: {
      queue: t((x) => x.queue_ms),
      preprocess: t((x) => x.preprocess_ms),
      inference: t((x) => x.inference_ms),
      total: t((x) => x.total_ms),
      batchSize: t((x) => x.batch_size),
    },
    outsideJobMs: summarize(ok.flatMap((s) => (s.job?.timings ? [s.latencyMs - s.job.timings.total_ms] : []))),
    pollsPerJob: round(ok.reduce((n, s) => n + s.polls, 0) / jobs, 1),
    waitTimeouts: load.samples.filter((s) => s.waitTimedOut).length,
    batches: { ...w.batches, meanBatchSize: round(w.batches.meanBatchSize), meanBatchInferenceMs: round(w.batches.meanBatchInferenceMs) },
    eventLoop: w.eventLoop,
    serviceCpuMsPerJob: round(Object.entries(w.procs).filter(([k]) => k !== 'bench').reduce((a, [, u]) => a + u.cpuMs, 0) / jobs),
    processes,
    redis: {
      commandsPerJob: round(w.redis.commands / jobs, 1),
      netCommandsPerJob: round((w.redis.commands - (idleCommandsPerSecond * load.elapsedMs) / 1000) / jobs, 1),
      totalCommandsPerJob: round(w.redis.totalCommandsProcessed / jobs, 1),
      byCommandPerJob: Object.fromEntries(Object.entries(perJob(w.redis.byCommand, jobs)).slice(0, 14)),
      memoryDeltaBytes: w.redis.usedMemoryBytes,
      memoryPerJobBytes: round(w.redis.usedMemoryBytes / jobs, 0),
      keysDelta: w.redis.keys,
    },
    otherCores: round(w.otherCores),
  };
}
