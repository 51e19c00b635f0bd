import type { JobQueue } from '../shared/queue/index.js';
import { AppError } from '../shared/errors.js';

/**
 * Admission control with hysteresis: once the waiting jobs reach `highWater`, submissions get 503 `overloaded`
 * (nothing is stored or enqueued) until the backlog falls below `lowWater`. The count is cached for a moment so a
 * burst of submissions costs one Redis call, not one each; the overshoot that allows is a few requests.
 */
export class Admission {
  private overloaded = false;
  private cached: { at: number; waiting: number } | null = null;

  constructor(
    private readonly queue: JobQueue<'inference'>,
    private readonly highWater: number,
    private readonly lowWater: number,
    private readonly cacheMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(): Promise<void> {
    if (this.highWater === 0) return;
    const waiting = await this.waiting();
    if (this.overloaded && waiting < this.lowWater) this.overloaded = false;
    else if (!this.overloaded && waiting >= this.highWater) this.overloaded = true;
    if (this.overloaded) {
      throw new AppError('overloaded', `the queue is over its high-water mark (${waiting} jobs waiting); retry later`, { retryAfter: 5 });
    }
  }

  private async waiting(): Promise<number> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.waiting;
    const counts = await this.queue.counts('wait', 'prioritized', 'delayed');
    const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    this.cached = { at: this.now(), waiting };
    return waiting;
  }
}
