import type { Redis } from 'ioredis';
import { sampleMachine, sampleProc, usageBetween, type ProcSample, type ProcUsage } from './proc-stats.js';
import { redisDelta, redisSnapshot, type RedisDelta, type RedisSnapshot } from './redis-stats.js';
import { batchStats, eventLoop, scrape, type BatchStats, type Samples } from './prom.js';

/** A process of the system under test, by role (`api`, `worker-1`, `redis`, `launcher`). */
export interface Watched {
  label: string;
  pid: number;
}

interface Snapshot {
  machine: ReturnType<typeof sampleMachine>;
  procs: Map<string, ProcSample | null>;
  redis: RedisSnapshot;
  workers: Samples[];
  api: Samples | null;
}

export interface Window {
  procs: Record<string, ProcUsage>;
  redis: RedisDelta;
  batches: BatchStats;
  /** Event-loop delay of each Node process during the window (ms), from its own /metrics. */
  eventLoop: Record<string, { p50: number; p99: number; max: number; mean: number }>;
  /**
   * Cores busy with processes that are not part of the test (other users of the machine), on average: the
   * machine's busy time minus that of every watched process. Above ~0.2 the run competed for CPU.
   */
  otherCores: number;
}

/**
 * Takes the system's vital signs around a piece of load. Scrapes happen outside the Redis window (the API's
 * /metrics reads queue depths from Redis) and reset prom-client's event-loop histograms, so what a window
 * reports is the window's own.
 */
export class Probe {
  constructor(
    private readonly redis: Redis,
    private readonly procs: Watched[],
    private readonly workerMetricsUrls: string[],
    private readonly apiMetricsUrl: string,
  ) {}

  private async scrapeAll(): Promise<{ workers: Samples[]; api: Samples | null }> {
    const [workers, api] = await Promise.all([
      Promise.all(this.workerMetricsUrls.map((u) => scrape(u).catch(() => new Map() as Samples))),
      scrape(this.apiMetricsUrl).catch(() => null),
    ]);
    return { workers, api };
  }

  private sampleProcs(): Map<string, ProcSample | null> {
    return new Map(this.procs.map((p) => [p.label, sampleProc(p.pid)]));
  }

  async begin(): Promise<Snapshot> {
    const m = await this.scrapeAll();
    const procs = this.sampleProcs();
    return { ...m, procs, machine: sampleMachine(), redis: await redisSnapshot(this.redis) };
  }

  async end(before: Snapshot): Promise<Window> {
    const redis = await redisSnapshot(this.redis);
    const machine = sampleMachine();
    const procs = this.sampleProcs();
    const m = await this.scrapeAll();
    const usage: Record<string, ProcUsage> = {};
    for (const [label, b] of procs) {
      const a = before.procs.get(label);
      if (a && b) usage[label] = usageBetween(a, b);
    }
    const loops: Window['eventLoop'] = {};
    if (m.api) loops.api = eventLoop(m.api);
    m.workers.forEach((w, i) => (loops[this.workerMetricsUrls.length > 1 ? `worker-${i + 1}` : 'worker'] = eventLoop(w)));
    const ours = Object.values(usage).reduce((a, u) => a + u.cpuMs, 0);
    const otherCores = Math.max(0, (machine.busyMs - before.machine.busyMs - ours) / Math.max(1, machine.at - before.machine.at));
    return { otherCores, procs: usage, redis: redisDelta(before.redis, redis), batches: batchStats(before.workers, m.workers), eventLoop: loops };
  }
}
