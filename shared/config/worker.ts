import os from 'node:os';
import { z } from 'zod';
import { durationMs, flag, type Parsed } from './fields.js';

/** How a worker batches, how many jobs it holds, how it shuts down, and how BullMQ retries what it drops. */
export const workerEnv = {
  /** Most images per model run (1–256); default 8. */
  BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(256).default(8),
  /** How long the oldest waiting item may wait for a batch to fill, in ms; default 10. */
  BATCH_MAX_DELAY_MS: durationMs(10),
  /**
   * Run a partial batch at once when no other image is being decoded (an idle job pays no delay); default true.
   * Off: every partial batch waits BATCH_MAX_DELAY_MS, for the largest batches (and for tests that need a held batch).
   */
  BATCH_FLUSH_WHEN_IDLE: flag('true'),
  /** Jobs a worker holds at once; must be ≥ BATCH_MAX_SIZE or batches never fill. Default: 2 × batch size. */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /**
   * onnxruntime intra-op threads per worker; default 1. One per worker, and a worker per core, measured best
   * here: a second thread per session competes with sharp's decoders for the same cores.
   */
  INFERENCE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /** Worker processes `npm start` runs (default: one per core, at most 4). */
  STANDALONE_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** Port of a worker's `/metrics` and `/health`; default 9464. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Time a worker gets on SIGTERM to finish the jobs in hand before it exits anyway, in ms; default 30,000. */
  WORKER_SHUTDOWN_TIMEOUT_MS: durationMs(30_000),
  /** BullMQ lock: a job whose worker has not renewed it for this long (ms; default 30,000) is taken for stalled. */
  LOCK_DURATION_MS: durationMs(30_000),
  /** How often BullMQ looks for stalled jobs, in ms; default 30,000. */
  STALLED_INTERVAL_MS: durationMs(30_000),
  /** How many times a job may stall before it fails (a poison image that kills its worker); default 1. */
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(1),
  /** Attempts for a job that failed for a transient reason; default 3. */
  JOB_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  /** Seconds after which a worker that has not sent a heartbeat counts as gone (readiness); default 15. */
  WORKER_HEARTBEAT_TTL_SECONDS: z.coerce.number().int().positive().default(15),
};

export interface WorkerSettings {
  batch: { maxSize: number; maxDelayMs: number; flushWhenIdle: boolean };
  worker: {
    concurrency: number;
    inferenceThreads: number;
    metricsPort: number;
    shutdownTimeoutMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
    attempts: number;
    heartbeatTtlSeconds: number;
  };
  standaloneWorkers: number;
}

/** The batch and worker sections; a concurrency below the batch size is added to `problems`. */
export function workerSettings(e: Parsed<typeof workerEnv>, problems: string[]): WorkerSettings {
  const concurrency = e.WORKER_CONCURRENCY ?? e.BATCH_MAX_SIZE * 2;
  if (concurrency < e.BATCH_MAX_SIZE) {
    problems.push(`WORKER_CONCURRENCY=${concurrency}: must be ≥ BATCH_MAX_SIZE (${e.BATCH_MAX_SIZE}) or batches never fill`);
  }
  return {
    batch: { maxSize: e.BATCH_MAX_SIZE, maxDelayMs: e.BATCH_MAX_DELAY_MS, flushWhenIdle: e.BATCH_FLUSH_WHEN_IDLE },
    worker: {
      concurrency,
      inferenceThreads: e.INFERENCE_THREADS,
      metricsPort: e.WORKER_METRICS_PORT,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
      lockDurationMs: e.LOCK_DURATION_MS,
      stalledIntervalMs: e.STALLED_INTERVAL_MS,
      maxStalledCount: e.MAX_STALLED_COUNT,
      attempts: e.JOB_ATTEMPTS,
      heartbeatTtlSeconds: e.WORKER_HEARTBEAT_TTL_SECONDS,
    },
    standaloneWorkers: e.STANDALONE_WORKERS ?? Math.min(4, os.availableParallelism()),
  };
}
