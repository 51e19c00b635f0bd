import type { SpanContext } from '@opentelemetry/api';
import { activeSpanContext } from '../shared/tracing.js';
import { EventEmitter } from 'node:events';

/** When a batch is run: `full` (max size reached), `timeout` (the oldest item waited max delay), `drain`. */
export type FlushReason = 'full' | 'timeout' | 'idle' | 'drain';

export interface BatcherOptions {
  /** Most items per run. */
  maxSize: number;
  /** Longest time, in ms, the oldest waiting item waits for the batch to fill before a run starts anyway. */
  maxDelayMs: number;
  /**
   * How many items are on their way (being decoded) and will be submitted soon. When none are, waiting for
   * the batch to fill is pointless and the batch runs at once (reason `idle`): an idle job pays no delay.
   */
  incoming?: () => number;
}

export interface FlushEvent {
  size: number;
  reason: FlushReason;
  durationMs: number;
  /** The submitters' active spans (tracing on): the batch run's span links to each. */
  links: SpanContext[];
}

/** Runs one batch; must return exactly one output per input, in order. */
export type RunBatch<I, O> = (inputs: I[]) => Promise<O[]>;

interface Pending<I, O> {
  input: I;
  at: number;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  span?: SpanContext;
}

/**
 * Dynamic batching (Triton's): items wait until `maxSize` are waiting, the oldest has waited `maxDelayMs`, or
 * nothing more is on its way; at most one run is in flight, so items that arrive during a run form the next batch. A failed run fails
 * only the items in it. Library-like: emits `flush` events, never logs.
 */
export class Batcher<I, O> extends EventEmitter {
  private queue: Pending<I, O>[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private closing = false;

  constructor(
    private readonly run: RunBatch<I, O>,
    private readonly opts: BatcherOptions,
    private readonly now: () => number = Date.now,
  ) {
    super();
    if (!Number.isInteger(opts.maxSize) || opts.maxSize < 1) {
      throw new Error(`Expected maxSize to be a whole number from 1 up, got ${opts.maxSize}`);
    }
    if (!(opts.maxDelayMs >= 0)) throw new Error(`Expected maxDelayMs to be ≥ 0, got ${opts.maxDelayMs}`);
  }

  /** Queues one item; resolves with its output when its batch has run. */
  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, at: this.now(), resolve, reject, span: activeSpanContext() });
      this.schedule();
    });
  }

  /** Items waiting for a run (not counting the run in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * From now on nothing waits for the delay: on shutdown, items that arrive late (their decode was under way
   * when the signal came) run at once too. Resolves when no run is left.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.drain();
  }

  /** Runs everything waiting at once, without the delay, and resolves when no run is left. */
  async drain(): Promise<void> {
    this.draining = true;
    try {
      this.schedule();
      while (this.running || this.waiting > 0) {
        await this.running;
        this.schedule();
      }
    } finally {
      this.draining = false;
    }
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length === 0) return this.clearTimer();
    if (this.queue.length >= this.opts.maxSize) return this.start(this.queue.splice(0, this.opts.maxSize), 'full');
    if (this.draining || this.closing) return this.start(this.queue.splice(0, this.opts.maxSize), 'drain');
    if (this.opts.incoming && this.opts.incoming() === 0) return this.start(this.queue.splice(0, this.opts.maxSize), 'idle');
    const waited = this.now() - this.queue[0]!.at;
    if (waited >= this.opts.maxDelayMs) return this.start(this.queue.splice(0, this.opts.maxSize), 'timeout');
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.opts.maxDelayMs - waited);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(batch: Pending<I, O>[], reason: FlushReason): void {
    this.clearTimer();
    const started = this.now();
    this.running = this.execute(batch).finally(() => {
      const links = batch.flatMap((p) => (p.span ? [p.span] : []));
      this.emit('flush', { size: batch.length, reason, durationMs: this.now() - started, links } satisfies FlushEvent);
      this.running = null;
      this.schedule();
    });
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((p) => p.input));
      if (outputs.length !== batch.length) {
        throw new Error(`batch run returned ${outputs.length} outputs for ${batch.length} inputs`);
      }
      batch.forEach((p, i) => p.resolve(outputs[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
