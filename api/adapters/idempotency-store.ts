import { createHash } from 'node:crypto';
import type { RedisClient } from '../../shared/redis.js';
import { AppError } from '../../shared/errors.js';

const TTL_SECONDS = 24 * 3600;

interface Entry {
  state: 'pending' | 'done';
  fingerprint: string;
  jobId?: string;
}

/**
 * Idempotency keys: the same key with the same request returns the first job; with a different request it is
 * 422; while the first request is still being accepted it is 409. Claimed with SET NX so parallel retries
 * cannot create two jobs. Keys are scoped (per API key when auth is on) and expire after 24 h.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  static fingerprint(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  private key(scope: string, key: string) {
    return `${this.prefix}:idem:${createHash('sha256').update(`${scope}\0${key}`).digest('hex')}`;
  }

  /** Claims the key for a new request; returns the job id of an earlier identical request instead, if any. */
  async claim(scope: string, key: string, fingerprint: string): Promise<{ claimed: true } | { claimed: false; jobId: string }> {
    const k = this.key(scope, key);
    const pending: Entry = { state: 'pending', fingerprint };
    if (await this.redis.set(k, JSON.stringify(pending), 'EX', TTL_SECONDS, 'NX')) return { claimed: true };
    const raw = await this.redis.get(k);
    if (!raw) return this.claim(scope, key, fingerprint); // expired between the two calls
    const entry = JSON.parse(raw) as Entry;
    if (entry.fingerprint !== fingerprint) {
      throw new AppError('idempotency_mismatch', 'this Idempotency-Key was used with a different request');
    }
    if (entry.state === 'pending' || !entry.jobId) {
      throw new AppError('idempotency_in_progress', 'a request with this Idempotency-Key is still being accepted', { retryAfter: 1 });
    }
    return { claimed: false, jobId: entry.jobId };
  }

  async complete(scope: string, key: string, fingerprint: string, jobId: string): Promise<void> {
    const done: Entry = { state: 'done', fingerprint, jobId };
    await this.redis.set(this.key(scope, key), JSON.stringify(done), 'EX', TTL_SECONDS);
  }

  async release(scope: string, key: string): Promise<void> {
    await this.redis.del(this.key(scope, key));
  }
}
