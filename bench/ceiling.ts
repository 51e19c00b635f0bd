import { fileURLToPath } from 'node:url';
import type { CeilingChildConfig, CeilingChildResult } from './ceiling-child.js';
import { spawnGroup, stopGroup } from './procs.js';
import { round } from './stats.js';

/** One layout of the bare pipeline: a process count and the settings of each process. */
export interface CeilingLayout {
  name: string;
  processes: number;
  inference: 'thread' | 'main';
  threads: number;
  lanes: number;
  batch: number;
  uvThreads: number;
}

export interface CeilingRun extends CeilingLayout {
  /** The best round's throughput (the machine is shared: the best round is the least disturbed one). */
  imagesPerSecond: number;
  /** Every round's throughput, in the order run. */
  rounds: number[];
  /** Cores busy with other users' processes during the best round. */
  otherCores: number;
  images: number;
  top1: number;
  /** CPU of all processes per image, ms. */
  cpuMsPerImage: number;
  loopDelayP99Ms: number;
  peakRssMb: number;
  loadMs: number;
  single: CeilingChildResult['single'];
  error?: string;
}

export interface CeilingOptions {
  manifest: string;
  modelsDir: string;
  model: string;
  /** Images per layout (split between its processes), after `warmupImages` per process. */
  images: number;
  warmupImages: number;
  /** Idle single-image runs, in the layouts that have `singles` set. */
  singles: number;
  /** Each layout runs once per round, rounds interleaved, so drift of the machine hits all layouts alike. */
  rounds: number;
  timeoutMs: number;
}

const CHILD = fileURLToPath(new URL(`./ceiling-child.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

/** Runs one layout: its processes load, wait at a gate, start together; throughput is all images over the slowest. */
async function runCeilingLayout(l: CeilingLayout, o: CeilingOptions, singles: boolean): Promise<CeilingRun> {
  const per = Math.ceil(o.images / l.processes);
  const cfg: CeilingChildConfig = {
    manifest: o.manifest, modelsDir: o.modelsDir, model: o.model, inference: l.inference, threads: l.threads, lanes: l.lanes,
    batch: l.batch, images: per, warmupImages: o.warmupImages, singles: singles ? o.singles : 0, gate: true,
  };
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(l.uvThreads) };
  const ready = new Set<number>();
  const kids = Array.from({ length: l.processes }, () =>
    spawnGroup(process.execPath, [...process.execArgv, CHILD, JSON.stringify(cfg)], { env, captureStdout: true }),
  );
  try {
    const results = await Promise.all(
      kids.map((k, i) => new Promise<CeilingChildResult>((resolve, reject) => {
        let out = '';
        let readyCount = 0;
        const timer = setTimeout(() => reject(new Error(`ceiling ${l.name}: no result within ${o.timeoutMs} ms\n${k.output()}`)), o.timeoutMs);
        k.child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('READY\n') && readyCount === 0) {
            readyCount = 1;
            gate(i);
          }
          const m = /^RESULT (.*)$/m.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(JSON.parse(m[1]!) as CeilingChildResult);
          }
        });
        k.child.on('exit', (code) => {
          if (!/^RESULT /m.test(out)) {
            clearTimeout(timer);
            reject(new Error(`ceiling ${l.name}: child exited ${code}\n${k.output()}`));
          }
        });
      })),
    );
    const images = results.reduce((s, r) => s + r.images, 0);
    const slowest = Math.max(...results.map((r) => r.elapsedMs));
    const ownCpu = results.reduce((s, r) => s + r.cpuMs, 0);
    const busy = Math.max(...results.map((r) => r.machineBusyMs));
    const ips = round((images * 1000) / slowest, 1);
    return {
      ...l,
      imagesPerSecond: ips,
      rounds: [ips],
      otherCores: round(Math.max(0, busy - ownCpu) / slowest),
      images,
      top1: round(results.reduce((s, r) => s + r.correct, 0) / images, 3),
      cpuMsPerImage: round(results.reduce((s, r) => s + r.cpuMs, 0) / images),
      loopDelayP99Ms: round(Math.max(...results.map((r) => r.loopDelayP99Ms))),
      peakRssMb: round(Math.max(...results.map((r) => r.peakRssMb)), 0),
      loadMs: round(Math.max(...results.map((r) => r.loadMs)), 0),
      single: results[0]!.single,
    };
  } finally {
    await Promise.all(kids.map((k) => stopGroup(k.pid, 2_000)));
  }

  // Every process must have loaded before any clock starts.
  function gate(i: number) {
    ready.add(i);
    if (ready.size === kids.length) for (const k of kids) k.child.stdin!.write('go\n');
  }
}

/**
 * Runs every layout `o.rounds` times, interleaved, and keeps each layout's best round. Idle single-image times
 * are taken after each round of the one-process layouts; the lowest median is kept.
 */
export async function runCeiling(layouts: CeilingLayout[], o: CeilingOptions, log: (m: string) => void): Promise<CeilingRun[]> {
  const best = new Map<string, CeilingRun>();
  for (let r = 0; r < o.rounds; r++) {
    for (const l of layouts) {
      const run = await runCeilingLayout(l, o, l.processes === 1);
      log(`  ceiling round ${r + 1} ${l.name}: ${run.imagesPerSecond} img/s, ${run.cpuMsPerImage} ms CPU/img, other load ${run.otherCores} cores` +
        (run.single ? `, idle single ${run.single.totalMs.toFixed(1)} ms` : ''));
      const prev = best.get(l.name);
      const rounds = [...(prev?.rounds ?? []), run.imagesPerSecond];
      const keep = !prev || run.imagesPerSecond > prev.imagesPerSecond ? run : prev;
      // The idle single image is taken after each round's throughput run; the least disturbed round is the lowest.
      const singles = [prev?.single, run.single].filter((x): x is NonNullable<CeilingRun['single']> => !!x);
      const single = singles.length ? singles.reduce((a, b) => (b.totalMs < a.totalMs ? b : a)) : null;
      best.set(l.name, { ...keep, rounds, single });
    }
  }
  return layouts.map((l) => best.get(l.name)!);
}

/** The layouts the issue asks to compare; the best one is the ceiling. */
export function ceilingLayouts(quick: boolean): CeilingLayout[] {
  const base = { processes: 1, inference: 'thread' as const, threads: 2, lanes: 8, batch: 8, uvThreads: 4 };
  if (quick) return [{ name: '1 proc, inference thread, 2 ORT threads, 8 lanes', ...base }];
  return [
    { name: '1 proc, inference thread, 2 ORT threads, 8 lanes', ...base },
    { name: '1 proc, main thread, 2 ORT threads, 8 lanes', ...base, inference: 'main' },
    { name: '1 proc, inference thread, 1 ORT thread, 8 lanes', ...base, threads: 1 },
    { name: '1 proc, inference thread, 2 ORT threads, 4 lanes', ...base, lanes: 4 },
    { name: '1 proc, inference thread, 2 ORT threads, 16 lanes', ...base, lanes: 16 },
    { name: '2 procs × (inference thread, 1 ORT thread, 8 lanes)', ...base, processes: 2, threads: 1 },
    { name: '2 procs × (main thread, 1 ORT thread, 8 lanes)', ...base, processes: 2, inference: 'main', threads: 1 },
  ];
}
