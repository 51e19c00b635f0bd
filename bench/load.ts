import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchClient, Mode, Outcome } from './http-client.js';
import type { Photo } from './photos.js';
import { seededRandom, sleep, type Summary } from './stats.js';

/** One finished request of a load run. */
export interface Sample extends Outcome {
  photo: number;
  correct: boolean;
}

export interface LoadResult {
  samples: Sample[];
  /** First send to last answer, ms. */
  elapsedMs: number;
  /** The load generator's own event-loop delay p99 (ms beyond the 10 ms sampling): if high, the client limits. */
  clientLoopP99Ms: number;
  clientCpuMs: number;
  /** Set by load generators that keep no per-job samples (wrk): their own counts and latency. */
  counted?: { sent: number; ok: number; latency: Summary; errors: string[] };
}

/** The photos to send, with their multipart bodies; `next()` walks them round-robin across runs. */
export class Workload {
  private cursor = 0;
  constructor(
    readonly photos: Photo[],
    readonly bodies: Buffer[],
  ) {}

  next(): number {
    const i = this.cursor;
    this.cursor = (this.cursor + 1) % this.photos.length;
    return i;
  }
}

async function one(client: BenchClient, w: Workload, mode: Mode, startedAt?: number, waitSeconds?: number): Promise<Sample> {
  const photo = w.next();
  const out = await client.classify(w.bodies[photo]!, mode, startedAt, { waitSeconds });
  const top = out.job?.result?.predictions[0]?.class_id;
  return { ...out, photo, correct: top === w.photos[photo]!.classIndex };
}

async function measured(body: () => Promise<Sample[]>): Promise<LoadResult> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const samples = await body();
  const elapsedMs = performance.now() - t0;
  h.disable();
  const cpu = process.cpuUsage(cpu0);
  return { samples, elapsedMs, clientLoopP99Ms: Math.max(0, h.percentile(99) / 1e6 - 10), clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `concurrency` clients, each sending its next image as soon as the previous one ended; `jobs` in all or `maxMs`. */
export function closedLoop(client: BenchClient, w: Workload, o: { concurrency: number; jobs: number; maxMs: number; mode: Mode; waitSeconds?: number }) {
  return measured(async () => {
    const samples: Sample[] = [];
    let issued = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (issued < o.jobs && performance.now() - t0 < o.maxMs) {
          issued++;
          samples.push(await one(client, w, o.mode, undefined, o.waitSeconds));
        }
      }),
    );
    return samples;
  });
}

/**
 * Arrivals at `rate` per second regardless of answers (Poisson, seeded), at most `jobs` of them and none after
 * `maxMs`. Latency counts from the scheduled arrival, so a stalled sender cannot hide queueing (coordinated omission).
 */
export function openLoop(client: BenchClient, w: Workload, o: { rate: number; jobs: number; maxMs: number; mode: Mode; seed?: number }) {
  return measured(async () => {
    const rand = seededRandom(o.seed ?? 42);
    const inFlight: Promise<Sample>[] = [];
    const t0 = performance.now();
    let at = 0;
    for (let i = 0; i < o.jobs; i++) {
      at += (-Math.log(1 - rand()) / o.rate) * 1000;
      if (at > o.maxMs) break;
      const wait = t0 + at - performance.now();
      if (wait > 1) await sleep(wait);
      inFlight.push(one(client, w, o.mode, t0 + at));
    }
    return Promise.all(inFlight);
  });
}

/** One job at a time with a pause between, so every job meets an idle service. */
export function idleLatency(client: BenchClient, w: Workload, o: { jobs: number; gapMs: number; mode: Mode }) {
  return measured(async () => {
    const samples: Sample[] = [];
    for (let i = 0; i < o.jobs; i++) {
      samples.push(await one(client, w, o.mode));
      await sleep(o.gapMs);
    }
    return samples;
  });
}
