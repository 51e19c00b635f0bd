import type { SseEventName } from '../../shared/contract/constants.js';
import type { SseStream } from './sse-stream.js';

/** How the streams of one kind of object (a job, a batch) read it and tell a change; N: its stream's event names. */
export interface TopicSource<V, N extends SseEventName = SseEventName> {
  /** The object now, or null when it is gone (expired). */
  read(): Promise<V | null>;
  /** Equal keys mean nothing a client cares about changed (ETAs and queue positions move on their own). */
  changeKey(v: V): string;
  isEnded(v: V): boolean;
  /** Event name of a change: `status` for jobs, `progress` for batches. */
  changeEvent: N;
  /** Reads for changes at most this often (joining streams are answered at once). */
  minIntervalMs: number;
}

interface Follower {
  stream: SseStream;
  /** Change key of the last event sent; null until the stream had its first (current-state) event. */
  sent: string | null;
}

/**
 * Every stream following one job or batch. All reads go through one loop, one at a time, so each read is at
 * least as new as the one before and no stream sees states out of order; a burst of changes costs one read
 * per interval however many streams follow it.
 */
export class Topic<V> {
  private readonly followers = new Set<Follower>();
  private running = false;
  private again = false;
  private joined = false;
  private lastReadAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: TopicSource<V>,
    private readonly onEmpty: () => void,
  ) {}

  get size(): number {
    return this.followers.size;
  }

  add(stream: SseStream): void {
    const f: Follower = { stream, sent: null };
    this.followers.add(f);
    stream.onClose(() => {
      this.followers.delete(f);
      if (this.followers.size === 0) this.dispose();
    });
    this.joined = true;
    this.changed();
  }

  /** Something may have changed: read again (after the interval, unless a stream waits for its first event). */
  changed(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.joined ? 0 : this.lastReadAt + this.source.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.changed();
      }, wait);
      return;
    }
    void this.run();
  }

  keepAlive(): void {
    for (const f of this.followers) f.stream.comment('keep-alive');
  }

  closeAll(): void {
    for (const f of [...this.followers]) f.stream.close();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        this.joined = false;
        this.lastReadAt = Date.now();
        const v = await this.source.read().catch(() => undefined);
        // A failed read (Redis away) is retried by the next message or the hub's periodic refresh.
        if (v !== undefined) this.deliver(v);
      } while (this.again && this.followers.size > 0 && (this.joined || this.source.minIntervalMs === 0));
    } finally {
      this.running = false;
    }
    if (this.again && this.followers.size > 0) this.changed();
  }

  private deliver(v: V | null): void {
    if (v === null) {
      this.closeAll();
      return;
    }
    const key = this.source.changeKey(v);
    const ended = this.source.isEnded(v);
    for (const f of [...this.followers]) {
      if (f.sent === null) f.stream.send('status', v);
      else if (f.sent !== key) f.stream.send(this.source.changeEvent, v);
      f.sent = key;
      if (ended) {
        f.stream.send('end', v);
        f.stream.close();
      }
    }
  }

  private dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.onEmpty();
  }
}
