/**
 * libuv's pool size for `npm start`'s children: two threads per core a worker has, at least 2 (sharp decodes on
 * the pool, and onnxruntime runs on a thread of its own beside it). On 2 cores with a worker per core that is 2:
 * measured against 4, idle latency fell by ≈ 1 ms and throughput held (docs/performance.md, session 4); with
 * fewer workers than cores each gets more, so a lone worker on 8 cores can still decode 16 images at once.
 */
export function poolSize(cores: number, workers: number): number {
  return Math.max(2, Math.ceil((2 * cores) / Math.max(1, workers)));
}
