import type { RequestHandler } from 'express';
import type { RedisClient } from '../../shared/redis.js';
import { unavailable } from '../../shared/errors.js';

/**
 * Answers 503 before reading a body when the producer connection is down: an upload is not worth receiving
 * when it cannot be queued, and the client learns within milliseconds instead of after the upload.
 */
export function redisReady(redis: RedisClient): RequestHandler {
  return (_req, _res, next) => {
    if (redis.status !== 'ready') return next(unavailable('the queue store is unreachable; retry shortly'));
    next();
  };
}
