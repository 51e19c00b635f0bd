import type { RequestHandler } from 'express';
import type { RedisClient } from '../../shared/redis.js';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../shared/errors.js';

export interface RateLimitOptions {
  requests: number;
  windowSeconds: number;
  prefix: string;
}

/**
 * Per API key (per client IP when auth is off) request limits, counted in Redis so they hold across every API
 * replica. Answers 429 with Retry-After, and RateLimit-* headers on every response. When Redis cannot be asked,
 * the request goes on (fails open): the request itself will meet the same Redis and answer 503.
 */
export function rateLimit(redis: RedisClient, opts: RateLimitOptions): RequestHandler {
  if (opts.requests === 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${opts.prefix}:ratelimit`,
    points: opts.requests,
    duration: opts.windowSeconds,
    rejectIfRedisNotReady: true,
  });
  const policy = `${opts.requests};w=${opts.windowSeconds}`;
  const headers = (res: Parameters<RequestHandler>[1], r: RateLimiterRes) => {
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit-Limit', String(opts.requests));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, r.remainingPoints)));
    res.setHeader('RateLimit-Reset', String(Math.ceil(r.msBeforeNext / 1000)));
  };
  return async (req, res, next) => {
    const who = req.apiKeyName ? `key:${req.apiKeyName}` : `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
    try {
      headers(res, await limiter.consume(who));
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return next();
      headers(res, err);
      const retry = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      next(new AppError('rate_limited', `rate limit of ${opts.requests} requests per ${opts.windowSeconds} s reached`, { retryAfter: retry }));
    }
  };
}
