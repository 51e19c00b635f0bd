import path from 'node:path';
import { findModel, loadManifest } from '../shared/model-manifest.js';
import { ModelSession } from '../worker/model-session.js';
import { itemDims } from '../worker/model-registry.js';
import { median, round } from './stats.js';
import { SHARED_DIR } from './photos.js';
import { numArg } from './args.js';

/**
 * What one image's inference costs at each batch size: `node --import tsx bench/batch-cost.ts [--threads 1]
 * [--images 256] [--rounds 3]`. One session (the worker's settings; the model file from ../shared/models), zero-filled input (int8 MobileNetV2's
 * time does not depend on the pixels), batch sizes interleaved within each round; process CPU and wall time per
 * image, medians over rounds. Says how much a fuller batch can save, before tuning the flush policy for it.
 */
const threads = numArg('--threads', 1);
const images = numArg('--images', 256);
const rounds = numArg('--rounds', 3);
const sizes = [1, 2, 4, 6, 8, 12, 16];

const spec = findModel(loadManifest(path.resolve('models/manifest.json')), 'mobilenetv2')!;
const s = await ModelSession.load(path.join(SHARED_DIR, 'models', spec.model.file), spec.input_name, spec.output_name, itemDims(spec), { threads });
await s.warmUp(16);
const cpu: Record<number, number[]> = {};
const wall: Record<number, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const n of sizes) {
    const data = new Float32Array(n * s.itemSize);
    const runs = Math.max(1, Math.round(images / n));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await s.run(data, n);
    const c = process.cpuUsage(c0);
    (cpu[n] ??= []).push((c.user + c.system) / 1000 / (runs * n));
    (wall[n] ??= []).push((performance.now() - t0) / (runs * n));
  }
}
for (const n of sizes) {
  process.stdout.write(`batch ${n}: CPU ${round(median(cpu[n]!))} ms/img, wall ${round(median(wall[n]!))} ms/img\n`);
}
await s.close();
