import client from 'prom-client';
import type { QueueReader } from '../shared/queue/index.js';
import type { RedisClient } from '../shared/redis.js';
import type { Metrics } from '../shared/metrics.js';
import type { Heartbeats } from '../shared/heartbeats.js';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/**
 * Gauges read from Redis at scrape time (queue depth, oldest waiting job, live workers, Redis itself), so they
 * are right whichever API replica is scraped. A scrape during a Redis outage reports redis_up 0 instead of failing.
 */
export function registerQueueMetrics(metrics: Metrics, queues: QueueReader[], redis: RedisClient, heartbeats: Heartbeats, models: string[]) {
  const registers = [metrics.registry];
  new client.Gauge({
    name: 'inferq_queue_jobs',
    help: 'Jobs in each queue by BullMQ state',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      for (const q of queues) {
        const counts = await q.counts(...STATES).catch(() => null);
        if (counts) for (const s of STATES) this.set({ queue: q.name, state: s }, counts[s] ?? 0);
      }
    },
  });
  new client.Gauge({
    // What an autoscaler targets (SageMaker's backlog per instance): waiting + prioritized jobs over the live
    // workers (every worker serves the queue; one counted per model it serves, so the busiest model's count),
    // over 1 when none is up, so it still reads the whole backlog when scaled to zero.
    name: 'inferq_queue_backlog_per_worker',
    help: 'Jobs waiting for a worker (waiting + prioritized) per live worker; the whole backlog when none is live',
    labelNames: ['queue'],
    registers,
    async collect() {
      const alive = await Promise.all(models.map((m) => heartbeats.alive(m).catch(() => 0)));
      const workers = Math.max(1, ...alive);
      for (const q of queues) {
        const c = await q.counts('waiting', 'prioritized').catch(() => null);
        if (c) this.set({ queue: q.name }, ((c.waiting ?? 0) + (c.prioritized ?? 0)) / workers);
      }
    },
  });
  new client.Gauge({
    name: 'inferq_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting for a worker (0 when none waits)',
    labelNames: ['queue'],
    registers,
    async collect() {
      for (const q of queues) {
        const age = await q.oldestWaitingAge().catch(() => null);
        if (age !== null) this.set({ queue: q.name }, age);
      }
    },
  });
  new client.Gauge({
    name: 'inferq_workers_alive',
    help: 'Worker processes that reported a heartbeat within the TTL, per model',
    labelNames: ['model'],
    registers,
    async collect() {
      for (const m of models) {
        const n = await heartbeats.alive(m).catch(() => null);
        if (n !== null) this.set({ model: m }, n);
      }
    },
  });
  new client.Gauge({
    name: 'inferq_redis_up',
    help: '1 when Redis answered a PING at scrape time',
    registers,
    async collect() {
      this.set(await redis.ping().then(() => 1, () => 0));
    },
  });
}
