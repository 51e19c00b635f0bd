import { ReplyError, type Command } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { unavailable, type AppError } from '../../shared/errors.js';
import type { RedisClient } from '../../shared/redis.js';

/**
 * Redis's own error replies that mean "the store cannot take this now", by their error code. A ReplyError's
 * message begins with the code Redis sent (`OOM command not allowed…`, `EXECABORT Transaction discarded…`):
 * that first word is the protocol's error code (RESP simple errors), not free text, so it is read as one.
 * EXECABORT: a MULTI (BullMQ's adds) discarded, in practice because a command in it hit the memory limit.
 */
const OUT_OF_MEMORY = new Set(['OOM', 'EXECABORT']);
/** A replica, a loading or failing-over server: the store is there but cannot serve writes yet. */
const NOT_SERVING = new Set(['LOADING', 'READONLY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'BUSY']);

/** The error code of a Redis error reply: the first word of what Redis sent. */
export function replyCode(err: Error): string {
  return err.message.split(' ', 1)[0] ?? '';
}

/** Errors a queue-store command failed with, marked where they arose (markStoreFailures). */
const storeFailures = new WeakSet<object>();

/**
 * Marks every error a command on this connection fails with, so an error is known as the store's by where it
 * arose, not by its words: ioredis rejects a command that timed out (a paused or hung Redis) or that met a closed
 * connection with a plain Error, and by the time the error handler asks, the store may already answer again.
 * Redis's own error replies are marked too, and are still judged by their code (a WRONGTYPE is our bug).
 */
export function markStoreFailures(redis: RedisClient): void {
  type Send = (command: Command, ...rest: unknown[]) => unknown;
  const send = (redis.sendCommand as Send).bind(redis);
  const marked: Send = (command, ...rest) => {
    command.promise.catch((err: unknown) => {
      if (err !== null && typeof err === 'object') storeFailures.add(err);
    });
    return send(command, ...rest);
  };
  redis.sendCommand = marked as RedisClient['sendCommand'];
}

/** Whether the queue store can be used now: asked only of an error nothing else explains. */
export interface StoreState {
  up(): Promise<boolean>;
}

/** How long a PING may take before a store whose connection looks ready counts as not answering. */
const PROBE_MS = 250;

/**
 * The producer connection's state: not `ready` (closed, reconnecting) is down; `ready` but not answering a PING
 * within PROBE_MS (a paused or hung Redis, whose commands time out while the socket stays open) is down too.
 */
export function connectionState(redis: RedisClient, probeMs = PROBE_MS): StoreState {
  return {
    up: async () => {
      if (redis.status !== 'ready') return false;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), probeMs)));
      const pong = redis.ping().then(() => true, () => false);
      try {
        return await Promise.race([pong, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The 503 for an error that says the queue store (Redis) cannot be used right now, or null when it says
 * something else. By class: Redis's error replies (their code, above) and ioredis's retry limit; by origin: an
 * error a command of a marked connection failed with (a timeout, a closed connection); by state: any other error
 * raised while the store is not up.
 */
export async function storeUnavailable(err: unknown, store: StoreState): Promise<AppError | null> {
  if (err instanceof ReplyError) {
    const code = replyCode(err as Error);
    if (OUT_OF_MEMORY.has(code)) return unavailable('the queue store is out of memory', 30);
    if (NOT_SERVING.has(code)) return unavailable('the queue store is unreachable');
    return null;
  }
  const marked = err !== null && typeof err === 'object' && storeFailures.has(err);
  if (marked || err instanceof MaxRetriesPerRequestError || !(await store.up())) return unavailable('the queue store is unreachable');
  return null;
}
