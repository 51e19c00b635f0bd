/** Messages between the worker's main thread and its inference thread. */
export interface ThreadModel {
  name: string;
  file: string;
  inputName: string;
  outputName: string;
  itemDims: number[];
}

export type ThreadRequest =
  | { type: 'load'; id: number; models: ThreadModel[]; threads: number; warmBatch: number }
  /** `data` may be longer than `n` items (a pooled batch tensor): only its first `n` items are run. */
  | { type: 'run'; id: number; model: string; data: Float32Array; n: number }
  | { type: 'close'; id: number };

export type ThreadReply =
  | { type: 'loaded'; id: number }
  /** `input` is the request's `data`, handed back for reuse. */
  | { type: 'result'; id: number; data: Float32Array; input: Float32Array; inferenceMs: number }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };
