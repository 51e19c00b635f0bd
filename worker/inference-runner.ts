import { Worker } from 'node:worker_threads';
import type { ThreadModel, ThreadReply, ThreadRequest } from './inference-protocol.js';

type Waiter = { resolve: (r: ThreadReply) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The main thread's handle on the inference thread: load models, run batches, close. */
export class InferenceRunner {
  private readonly thread: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor() {
    // Built, the thread is a .js file. Under tsx (development, tests) it is the .ts file, and Node 20 does not
    // carry tsx's loader into worker threads, so a two-line shim registers it there first.
    const ts = import.meta.url.endsWith('.ts');
    const file = new URL(`./inference-thread.${ts ? 'ts' : 'js'}`, import.meta.url);
    this.thread = ts
      ? new Worker(`import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(file.href)});`, { eval: true })
      : new Worker(file);
    this.thread.on('message', (msg: ThreadReply) => {
      const w = this.waiters.get(msg.id);
      if (!w) return;
      this.waiters.delete(msg.id);
      if (msg.type === 'error') w.reject(new Error(msg.message));
      else w.resolve(msg);
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const w of this.waiters.values()) w.reject(err);
      this.waiters.clear();
    };
    this.thread.on('error', fail);
    this.thread.on('exit', (code) => fail(new Error(`inference thread exited with code ${code}`)));
  }

  private call(req: DistributiveOmit<ThreadRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<ThreadReply>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.thread.postMessage({ ...req, id } as ThreadRequest, transfer);
    });
  }

  async load(models: ThreadModel[], threads: number, warmBatch: number): Promise<void> {
    await this.call({ type: 'load', models, threads, warmBatch });
  }

  /**
   * Runs the first `n` items of `data`. `data` is transferred to the thread and must not be used afterwards; the
   * thread hands it back as `input` for reuse.
   */
  async run(model: string, data: Float32Array, n: number): Promise<{ data: Float32Array; input: Float32Array; inferenceMs: number }> {
    const r = await this.call({ type: 'run', model, data, n }, [data.buffer as ArrayBuffer]);
    if (r.type !== 'result') throw new Error(`unexpected reply ${r.type}`);
    return { data: r.data, input: r.input, inferenceMs: r.inferenceMs };
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ type: 'close' }).catch(() => undefined);
    await this.thread.terminate();
  }
}
