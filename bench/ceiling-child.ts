import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadManifest, findModel } from '../shared/model-manifest.js';
import { ModelSession } from '../worker/model-session.js';
import { InferenceRunner } from '../worker/inference-runner.js';
import { itemDims } from '../worker/model-registry.js';
import { loadPhotos } from './photos.js';
import { runPipeline, singleImage, type Infer } from './pipeline.js';
import { median, sleep } from './stats.js';
import { sampleMachine } from './proc-stats.js';

/**
 * One ceiling configuration in a process of its own (so thread pools, UV_THREADPOOL_SIZE and memory start
 * fresh): argv[2] is a JSON CeilingChildConfig; the answer is one `RESULT {json}` line on stdout. With `gate`,
 * it prints `READY` after loading and waits for `go` on stdin, so two processes start their clocks together.
 */
export interface CeilingChildConfig {
  manifest: string;
  modelsDir: string;
  model: string;
  /** `thread`: the worker's own inference thread (InferenceRunner); `main`: ModelSession on the main thread. */
  inference: 'thread' | 'main';
  threads: number;
  lanes: number;
  batch: number;
  images: number;
  warmupImages: number;
  singles: number;
  gate: boolean;
}

export interface CeilingChildResult {
  images: number;
  correct: number;
  elapsedMs: number;
  imagesPerSecond: number;
  batches: number;
  cpuMs: number;
  cpuMsPerImage: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  peakRssMb: number;
  loadMs: number;
  /** The whole machine's busy CPU time during the run, ms (the parent subtracts its own processes'). */
  machineBusyMs: number;
  single: { decodeMs: number; inferMs: number; totalMs: number; n: number } | null;
}

const cfg = JSON.parse(process.argv[2]!) as CeilingChildConfig;
const spec = findModel(loadManifest(cfg.manifest), cfg.model);
if (!spec) throw new Error(`no model ${cfg.model} in ${cfg.manifest}`);
const file = path.join(cfg.modelsDir, spec.model.file);
const photos = await loadPhotos();
const images = photos.map((ph) => ph.bytes);
const labels = photos.map((ph) => ph.classIndex);

const tLoad = performance.now();
let infer: Infer;
let close: () => Promise<void>;
if (cfg.inference === 'thread') {
  const runner = new InferenceRunner();
  await runner.load([{ name: spec.name, file, inputName: spec.input_name, outputName: spec.output_name, itemDims: itemDims(spec) }], cfg.threads, cfg.batch);
  infer = async (data, n) => (await runner.run(spec.name, data, n)).data;
  close = () => runner.close();
} else {
  const session = await ModelSession.load(file, spec.input_name, spec.output_name, itemDims(spec), { threads: cfg.threads });
  await session.warmUp(cfg.batch);
  infer = (data, n) => session.run(data, n);
  close = () => session.close();
}
const loadMs = performance.now() - tLoad;
const opts = { lanes: cfg.lanes, batch: cfg.batch, classes: spec.num_classes };
if (cfg.warmupImages > 0) await runPipeline(images, labels, cfg.warmupImages, spec.preprocessing, opts, infer);

if (cfg.gate) {
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
}
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu0 = process.cpuUsage();
const m0 = sampleMachine();
const r = await runPipeline(images, labels, cfg.images, spec.preprocessing, opts, infer);
const m1 = sampleMachine();
const cpu = process.cpuUsage(cpu0);
loop.disable();

let single: CeilingChildResult['single'] = null;
if (cfg.singles > 0) {
  const runs = [];
  for (let i = 0; i < cfg.singles; i++) {
    await sleep(20);
    runs.push(await singleImage(images[(i * 7) % images.length]!, spec.preprocessing, infer));
  }
  single = {
    decodeMs: median(runs.map((x) => x.decodeMs)),
    inferMs: median(runs.map((x) => x.inferMs)),
    totalMs: median(runs.map((x) => x.totalMs)),
    n: runs.length,
  };
}
await close();
const cpuMs = (cpu.user + cpu.system) / 1000;
const result: CeilingChildResult = {
  images: r.images,
  correct: r.correct,
  elapsedMs: r.elapsedMs,
  imagesPerSecond: (r.images * 1000) / r.elapsedMs,
  batches: r.batches,
  cpuMs,
  cpuMsPerImage: cpuMs / r.images,
  // Each sample of a 10 ms-resolution monitor includes the 10 ms; what is reported is the lateness beyond it.
  loopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 10),
  loopDelayMaxMs: Math.max(0, loop.max / 1e6 - 10),
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  loadMs,
  machineBusyMs: m1.busyMs - m0.busyMs,
  single,
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
