import { z } from 'zod';
import { list, type Parsed } from './fields.js';

/** The API's HTTP side: where it listens, how long it waits for a client, CORS, rate limits and backpressure. */
export const httpEnv = {
  /** HTTP port of the API; default 8080. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Interface the API and the worker metrics listen on; default 0.0.0.0. */
  HOST: z.string().default('0.0.0.0'),
  /** Longest `Prefer: wait` a client may ask for (and the wait of a bare `Prefer: wait`), in seconds; default 60. */
  MAX_WAIT_SECONDS: z.coerce.number().int().positive().max(600).default(60),
  /** How long `POST /predict` waits for its answer before a 504, in seconds; default 30. */
  PREDICT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(30),
  /** Interval of the comment line that keeps idle event streams (SSE) open through proxies, in ms; default 15,000. */
  SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).default(15_000),
  /** Origins browsers may call the API from: a comma list, or `*`; empty (default) sends no CORS headers. */
  CORS_ORIGINS: list,
  /** Requests per window per API key (per client IP when auth is off); default 0, which turns rate limiting off. */
  RATE_LIMIT_REQUESTS: z.coerce.number().int().min(0).default(0),
  /** The rate-limit window, in seconds; default 60. */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** Waiting jobs at which submissions get 503 `overloaded`; default 50,000; 0 turns backpressure off. */
  QUEUE_HIGH_WATER: z.coerce.number().int().min(0).default(50_000),
  /** Once overloaded, submissions are accepted again below this many waiting jobs (default 80 % of high water). */
  QUEUE_LOW_WATER: z.coerce.number().int().min(0).optional(),
};

export interface HttpSettings {
  http: { port: number; host: string; maxWaitSeconds: number; predictTimeoutSeconds: number; sseKeepAliveMs: number; corsOrigins: string[] };
  rateLimit: { requests: number; windowSeconds: number };
  backpressure: { highWater: number; lowWater: number };
}

export function httpSettings(e: Parsed<typeof httpEnv>): HttpSettings {
  return {
    http: {
      port: e.PORT, host: e.HOST, maxWaitSeconds: e.MAX_WAIT_SECONDS, predictTimeoutSeconds: e.PREDICT_TIMEOUT_SECONDS,
      sseKeepAliveMs: e.SSE_KEEPALIVE_MS, corsOrigins: e.CORS_ORIGINS,
    },
    rateLimit: { requests: e.RATE_LIMIT_REQUESTS, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    backpressure: {
      highWater: e.QUEUE_HIGH_WATER,
      lowWater: Math.min(e.QUEUE_LOW_WATER ?? Math.floor(e.QUEUE_HIGH_WATER * 0.8), e.QUEUE_HIGH_WATER),
    },
  };
}
