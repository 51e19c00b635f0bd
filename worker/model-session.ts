import * as ort from 'onnxruntime-node';

/** The only module that imports onnxruntime: one loaded model, run over whole batches. */
export interface SessionOptions {
  /** onnxruntime intra-op threads. */
  threads: number;
}

export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    /** Shape of one item, e.g. [3, 224, 224] (NCHW) or [224, 224, 3] (NHWC). */
    private readonly itemDims: number[],
  ) {}

  static async load(file: string, inputName: string, outputName: string, itemDims: number[], opts: SessionOptions): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // Spin-waiting intra-op threads burn CPU that sharp's decoders need on the same cores (PERFORMANCE.md).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    if (!session.inputNames.includes(inputName) || !session.outputNames.includes(outputName)) {
      throw new Error(
        `${file}: expected input ${inputName} and output ${outputName}, found ${session.inputNames} → ${session.outputNames}`,
      );
    }
    return new ModelSession(session, inputName, outputName, itemDims);
  }

  get itemSize(): number {
    return this.itemDims.reduce((a, b) => a * b, 1);
  }

  /** Runs `n` items laid out one after another in `data`; returns the output, `n × classes` values. */
  async run(data: Float32Array, n: number): Promise<Float32Array> {
    if (data.length !== n * this.itemSize) throw new Error(`input has ${data.length} values, expected ${n * this.itemSize}`);
    const input = new ort.Tensor('float32', data, [n, ...this.itemDims]);
    const out = await this.session.run({ [this.inputName]: input });
    const tensor = out[this.outputName]!;
    const values = tensor.data as Float32Array;
    input.dispose?.();
    return values;
  }

  /** One run at batch 1 and one at the largest batch, so the first real jobs don't pay for lazy allocation. */
  async warmUp(maxBatch: number): Promise<void> {
    for (const n of [...new Set([1, maxBatch])]) await this.run(new Float32Array(n * this.itemSize), n);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
