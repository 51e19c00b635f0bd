/**
 * Batch input tensors, reused: each holds `capacity` items of `itemSize` values. A run borrows one, fills it in
 * place (writeTensor), transfers it to the inference thread and puts it back when the thread returns it, so a
 * job costs no 600 KB tensor of its own and a batch no concatenated copy (GC was ~1.1 ms per job).
 * One batcher runs one batch at a time, so the pool rarely holds more than one; a buffer lost with a failed
 * run is simply replaced.
 */
export class TensorPool {
  private readonly free: Float32Array[] = [];

  constructor(
    readonly itemSize: number,
    readonly capacity: number,
    /** Buffers kept at most; more are left to the GC. */
    private readonly keep = 2,
  ) {}

  take(): Float32Array {
    return this.free.pop() ?? new Float32Array(this.itemSize * this.capacity);
  }

  give(buffer: Float32Array): void {
    if (buffer.length === this.itemSize * this.capacity && this.free.length < this.keep) this.free.push(buffer);
  }
}
