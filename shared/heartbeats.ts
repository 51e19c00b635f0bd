import type { RedisClient } from './redis.js';

export interface WorkerInfo {
  metrics_port: number;
}

/**
 * Worker liveness in Redis: each worker process stamps a sorted set per model it serves with the time it last
 * reported. The API's `/ready` and the `inferq_workers_alive` gauge count the stamps younger than the TTL, so a
 * killed worker drops out by itself without anyone cleaning up after it.
 */
export class Heartbeats {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(model: string) {
    return `${this.prefix}:heartbeats:${model}`;
  }

  private infoKey(workerId: string) {
    return `${this.prefix}:worker:${workerId}`;
  }

  /** `info` (what /ready shows about the worker, e.g. its metrics port) expires with the heartbeat. */
  async beat(workerId: string, models: string[], info?: WorkerInfo, now = Date.now()): Promise<void> {
    const m = this.redis.multi();
    if (info) m.set(this.infoKey(workerId), JSON.stringify(info), 'EX', this.ttlSeconds);
    for (const model of models) {
      m.zadd(this.key(model), now, workerId);
      m.zremrangebyscore(this.key(model), '-inf', now - this.ttlSeconds * 1000);
      m.expire(this.key(model), this.ttlSeconds * 4);
    }
    await m.exec();
  }

  /** Removes a worker at once on a clean shutdown, so readiness does not wait for its TTL. */
  async leave(workerId: string, models: string[]): Promise<void> {
    const m = this.redis.multi();
    for (const model of models) m.zrem(this.key(model), workerId);
    m.del(this.infoKey(workerId));
    await m.exec();
  }

  async alive(model: string, now = Date.now()): Promise<number> {
    return this.redis.zcount(this.key(model), now - this.ttlSeconds * 1000, '+inf');
  }

  /** What the live workers of a model reported about themselves (those that reported anything). */
  async describe(model: string, now = Date.now()): Promise<WorkerInfo[]> {
    const ids = await this.redis.zrangebyscore(this.key(model), now - this.ttlSeconds * 1000, '+inf');
    if (ids.length === 0) return [];
    const infos = await this.redis.mget(ids.map((id) => this.infoKey(id)));
    return infos.filter((i): i is string => i !== null).map((i) => JSON.parse(i) as WorkerInfo);
  }
}
