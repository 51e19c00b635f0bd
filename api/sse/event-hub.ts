import type { RedisClient } from '../../shared/redis.js';
import { Topic, type TopicSource } from './topic.js';
import type { SseStream } from './sse-stream.js';

export type TopicKind = 'job' | 'batch';

/** What the job scripts publish on the job-events channel (shared/job-scripts.ts). */
interface ChangeMessage {
  id?: string;
  status?: string;
  batch?: string;
}

export interface EventHubOptions {
  /** Between keep-alive comments on every stream, in ms (also when every topic is read again, as a safety net). */
  keepAliveMs: number;
}

/**
 * Live event streams of one API process: ONE subscription to the job-events channel (the connection JobWaiter
 * uses too; Redis counts a channel once per connection), fanned out in memory to every stream, whatever their
 * number. Streams follow topics (one job or one batch); a message names the job and its batch, so it wakes
 * exactly the topics concerned.
 */
export class EventHub {
  private readonly topics = new Map<string, Topic<unknown>>();
  private readonly counts: Record<TopicKind, number> = { job: 0, batch: 0 };
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private subscribed = false;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly opts: EventHubOptions,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    // Messages published while the connection was down are lost: read every topic again once it is back.
    this.subscriber.on('ready', () => {
      if (this.subscribed) this.refreshAll();
    });
    await this.subscriber.subscribe(this.channel);
    this.subscribed = true;
    this.timer = setInterval(() => this.tick(), this.opts.keepAliveMs);
    this.timer.unref();
  }

  /** Open streams by kind (the `inferq_event_streams` gauge). */
  streams(kind: TopicKind): number {
    return this.counts[kind];
  }

  /** Adds a stream to the topic of `kind:id`, whose source is made only when the topic is new. */
  follow<V>(kind: TopicKind, id: string, stream: SseStream, source: () => TopicSource<V>): void {
    if (this.closed) {
      stream.close();
      return;
    }
    const key = `${kind}:${id}`;
    let topic = this.topics.get(key) as Topic<V> | undefined;
    if (!topic) {
      const made: Topic<V> = new Topic(source(), () => {
        if (this.topics.get(key) === made) this.topics.delete(key);
      });
      topic = made;
      this.topics.set(key, topic as Topic<unknown>);
    }
    this.counts[kind]++;
    stream.onClose(() => this.counts[kind]--);
    topic.add(stream);
  }

  /** Ends every stream (shutdown): clients reconnect to another replica with `Last-Event-ID`. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of [...this.topics.values()]) t.closeAll();
  }

  private onMessage(message: string): void {
    let m: ChangeMessage;
    try {
      m = JSON.parse(message) as ChangeMessage;
    } catch {
      return;
    }
    if (m.id) this.topics.get(`job:${m.id}`)?.changed();
    if (m.batch) this.topics.get(`batch:${m.batch}`)?.changed();
  }

  private tick(): void {
    for (const t of this.topics.values()) t.keepAlive();
    this.refreshAll();
  }

  private refreshAll(): void {
    for (const t of this.topics.values()) t.changed();
  }
}
