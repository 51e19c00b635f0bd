import { decodeResized, writeTensor, type RawImage } from '../worker/preprocess.js';
import type { Preprocessing } from '../shared/model-manifest.js';
import { argmax } from './photos.js';

/** Runs `n` items laid out one after another; returns n × classes scores. */
export type Infer = (data: Float32Array, n: number) => Promise<Float32Array>;

export interface PipelineOptions {
  /** Images being decoded at once (sharp calls in flight on libuv's pool). */
  lanes: number;
  /** Items per model run. */
  batch: number;
  classes: number;
}

export interface PipelineResult {
  images: number;
  correct: number;
  elapsedMs: number;
  batches: number;
}

/**
 * The bare pipeline, no queue, no HTTP: `lanes` decodes in flight feed a queue of decoded images; one model run
 * at a time takes up to `batch` of them, writes them straight into the batch tensor (the crop and normalisation
 * of writeTensor) and runs it. Decoding goes on during a run, so the next batch is ready when the run ends.
 */
export async function runPipeline(images: Buffer[], labels: number[], count: number, p: Preprocessing, o: PipelineOptions, infer: Infer): Promise<PipelineResult> {
  const itemSize = 3 * p.crop * p.crop;
  const ready: { raw: RawImage; idx: number }[] = [];
  let next = 0;
  let done = 0;
  let correct = 0;
  let batches = 0;
  let failure: unknown = null;
  let wakeRunner: (() => void) | null = null;
  const blockedLanes: (() => void)[] = [];
  const maxReady = 2 * o.batch;

  const lane = async () => {
    while (next < count && failure === null) {
      if (ready.length >= maxReady) {
        await new Promise<void>((r) => blockedLanes.push(r));
        continue;
      }
      const idx = next++;
      try {
        ready.push({ raw: await decodeResized(images[idx % images.length]!, p), idx });
      } catch (err) {
        failure = err;
      }
      wakeRunner?.();
    }
  };

  const runner = async () => {
    while (done < count && failure === null) {
      const want = Math.min(o.batch, count - done);
      if (ready.length < want) {
        await new Promise<void>((r) => (wakeRunner = r));
        wakeRunner = null;
        continue;
      }
      const items = ready.splice(0, want);
      blockedLanes.splice(0).forEach((r) => r());
      const tensor = new Float32Array(items.length * itemSize);
      items.forEach((it, i) => writeTensor(it.raw, p, tensor, i * itemSize));
      const out = await infer(tensor, items.length);
      items.forEach((it, i) => {
        if (argmax(out, i * o.classes, o.classes) === labels[it.idx % labels.length]) correct++;
      });
      done += items.length;
      batches++;
    }
  };

  const t0 = performance.now();
  await Promise.all([runner(), ...Array.from({ length: o.lanes }, lane)]);
  if (failure !== null) throw failure;
  return { images: done, correct, elapsedMs: performance.now() - t0, batches };
}

/** One image at a time on an idle pipeline: decode, then a batch-1 run. */
export async function singleImage(image: Buffer, p: Preprocessing, infer: Infer): Promise<{ decodeMs: number; inferMs: number; totalMs: number }> {
  const t0 = performance.now();
  const raw = await decodeResized(image, p);
  const tensor = new Float32Array(3 * p.crop * p.crop);
  writeTensor(raw, p, tensor, 0);
  const t1 = performance.now();
  await infer(tensor, 1);
  const t2 = performance.now();
  return { decodeMs: t1 - t0, inferMs: t2 - t1, totalMs: t2 - t0 };
}
