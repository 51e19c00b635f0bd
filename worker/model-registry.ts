import path from 'node:path';
import type { ModelSpec } from '../shared/model-manifest.js';
import { Batcher, type BatcherOptions, type FlushEvent } from './batcher.js';
import { InferenceRunner } from './inference-runner.js';
import { loadLabels } from './model-labels.js';
import { splitBatchOutput } from './postprocess.js';
import { writeTensor, type RawImage } from './preprocess.js';
import { TensorPool } from './tensor-pool.js';

/** One item's model output, with what it cost. */
export interface ItemOutput {
  scores: Float32Array;
  batchSize: number;
  inferenceMs: number;
}

/** One image waiting for a batch: decoded and resized, cropped and normalised only into its batch's tensor. */
export interface BatchItem {
  raw: RawImage;
  /** Fault injection for tests (FAULT_CRASH_ON_SHA256): the process dies when a batch holding this item runs. */
  crash?: boolean;
}

/** A served model: its spec, labels and batcher. */
export interface LoadedModel {
  spec: ModelSpec;
  labels: string[];
  batcher: Batcher<BatchItem, ItemOutput>;
  /** Images being decoded for this model right now: the batcher waits for them, and only for them. */
  decoding: { count: number };
}

/**
 * Loads each served model once (in the inference thread), warms it up, and puts a batcher in front of it.
 * A batch's items are written straight into a pooled batch tensor and run in one call.
 */
export class ModelRegistry {
  private constructor(
    private readonly runner: InferenceRunner,
    private readonly models: Map<string, LoadedModel>,
    private readonly dir: string,
  ) {}

  static async load(
    specs: ModelSpec[],
    opts: { modelsDir: string; threads: number; batch: BatcherOptions & { flushWhenIdle?: boolean }; onFlush?: (model: string, e: FlushEvent) => void },
  ): Promise<ModelRegistry> {
    const runner = new InferenceRunner();
    try {
      await runner.load(
        specs.map((s) => ({
          name: s.name,
          file: path.join(opts.modelsDir, s.model.file),
          inputName: s.input_name,
          outputName: s.output_name,
          itemDims: itemDims(s),
        })),
        opts.threads,
        opts.batch.maxSize,
      );
      const models = new Map<string, LoadedModel>();
      for (const spec of specs) {
        const labels = await loadLabels(path.join(opts.modelsDir, spec.labels.file));
        if (labels.length !== spec.num_classes) {
          throw new Error(`${spec.name}: ${labels.length} labels, but the manifest says ${spec.num_classes} classes`);
        }
        const decoding = { count: 0 };
        const pool = new TensorPool(itemDims(spec).reduce((a, b) => a * b, 1), opts.batch.maxSize);
        const batcher = new Batcher<BatchItem, ItemOutput>((items) => runBatch(runner, spec, pool, items), {
          maxSize: opts.batch.maxSize,
          maxDelayMs: opts.batch.maxDelayMs,
          incoming: opts.batch.flushWhenIdle === false ? undefined : () => decoding.count,
        });
        if (opts.onFlush) batcher.on('flush', (e: FlushEvent) => opts.onFlush!(spec.name, e));
        models.set(spec.name, { spec, labels, batcher, decoding });
      }
      return new ModelRegistry(runner, models, opts.modelsDir);
    } catch (err) {
      await runner.close();
      throw err;
    }
  }

  get(name: string): LoadedModel | undefined {
    return this.models.get(name);
  }

  get names(): string[] {
    return [...this.models.keys()];
  }

  /** Shutdown: every batcher runs what it has, and whatever arrives later, without waiting for the delay. */
  async close(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.batcher.close()));
  }

  get modelsDir(): string {
    return this.dir;
  }

  /** Stops the inference thread (after `close`). */
  async release(): Promise<void> {
    await this.runner.close();
  }
}

export function itemDims(spec: ModelSpec): number[] {
  const c = spec.preprocessing.crop;
  return spec.preprocessing.layout === 'NCHW' ? [3, c, c] : [c, c, 3];
}

async function runBatch(runner: InferenceRunner, spec: ModelSpec, pool: TensorPool, items: BatchItem[]): Promise<ItemOutput[]> {
  // A real crash in native decode or inference code takes the whole process down with its batch; tests of
  // the recovery from that (RELIABILITY.md R5) need a poison image that does it on demand.
  if (items.some((i) => i.crash)) process.kill(process.pid, 'SIGKILL');
  const batch = pool.take();
  items.forEach((item, i) => writeTensor(item.raw, spec.preprocessing, batch, i * pool.itemSize));
  const { data, input, inferenceMs } = await runner.run(spec.name, batch, items.length);
  pool.give(input);
  if (data.length !== items.length * spec.num_classes) {
    throw new Error(`${spec.name}: output has ${data.length} values for ${items.length} items of ${spec.num_classes} classes`);
  }
  return splitBatchOutput(data, items.length).map((scores) => ({ scores, batchSize: items.length, inferenceMs }));
}
