import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { unavailable, type AppError } from '../../shared/errors.js';

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

/** What the error handler knows of the queue store: the producer connection's state (ioredis `status`). */
export interface StoreState {
  ready(): boolean;
}

/**
 * The 503 for an error that says the queue store (Redis) cannot be used right now, or null when it says
 * something else. By class: Redis's error replies (their code, above) and ioredis's retry limit; by state:
 * any other error raised while the producer connection is not `ready` ("Connection is closed", "Stream isn't
 * writeable", a refused reconnect) is the lost connection's.
 */
export function storeUnavailable(err: unknown, store: StoreState): AppError | null {
  if (err instanceof ReplyError) {
    const code = replyCode(err as Error);
    if (OUT_OF_MEMORY.has(code)) return unavailable('the queue store is out of memory', 30);
    if (NOT_SERVING.has(code)) return unavailable('the queue store is unreachable');
    return null;
  }
  if (err instanceof MaxRetriesPerRequestError || !store.ready()) return unavailable('the queue store is unreachable');
  return null;
}
