import { z } from 'zod';
import { list, listOf, parseDuration, type Parsed } from './fields.js';

/** Requests inferq makes to client-given URLs: webhook deliveries and `image_url` fetches, and the SSRF allow-list. */
export const outboundEnv = {
  /** Standard Webhooks signing secret (`whsec_` + base64). Without one, a secret is generated once and kept in Redis. */
  WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
  /** A receiver that has not answered within this many ms (default 15,000) counts as failed (and is retried). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Delays between attempts, e.g. `5s,5m,30m,2h`; attempts = entries + 1. Units: ms, s, m, h, d. */
  WEBHOOK_RETRY_SCHEDULE: listOf('5s,5m,30m,2h,5h,10h,14h,20h,24h', parseDuration, 'must be a comma list of durations like 300ms, 5s, 5m, 2h, 1d'),
  /** Deliveries in flight per worker process; default 32. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(32),
  /**
   * Hosts or IPs exempt from the SSRF guard, for webhooks and `image_url` fetches alike (internal receivers and
   * image servers, tests). WEBHOOK_ALLOWED_HOSTS is its older name; both lists are joined.
   */
  OUTBOUND_ALLOWED_HOSTS: list,
  /** Older name of OUTBOUND_ALLOWED_HOSTS, still read (joined with it). */
  WEBHOOK_ALLOWED_HOSTS: list,
  /** Most ms an `image_url` fetch may take from connect to last byte (default 30,000); it fails `fetch_failed` after. */
  IMAGE_FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Most ms an `image_url` fetch may go without receiving a byte (default 10,000; a slow drip is cut after this). */
  IMAGE_FETCH_IDLE_MS: z.coerce.number().int().positive().default(10_000),
  /** `image_url` fetches one worker process runs at once (default 8; each holds up to MAX_UPLOAD_BYTES in memory). */
  IMAGE_FETCH_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Redirects an `image_url` fetch follows (default 3), each checked by the SSRF guard like the first URL; 0: none. */
  IMAGE_FETCH_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
  /** Most lines of one JSON-lines batch (`POST /v1/batches` with application/x-ndjson); default 1,000,000. */
  MAX_BATCH_URL_LINES: z.coerce.number().int().positive().default(1_000_000),
};

export interface OutboundSettings {
  webhooks: { secret?: string; timeoutMs: number; retrySchedule: number[]; allowedHosts: string[]; concurrency: number };
  /** Outbound requests to client-given URLs: `allowedHosts` is the one allow-list (webhooks.allowedHosts is the same). */
  outbound: { allowedHosts: string[]; fetchTimeoutMs: number; fetchIdleMs: number; fetchConcurrency: number; maxRedirects: number; maxBatchLines: number };
}

export function outboundSettings(e: Parsed<typeof outboundEnv>): OutboundSettings {
  const allowedHosts = [...new Set([...e.OUTBOUND_ALLOWED_HOSTS, ...e.WEBHOOK_ALLOWED_HOSTS].map((h) => h.toLowerCase()))];
  return {
    webhooks: {
      secret: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
      allowedHosts,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    outbound: {
      allowedHosts, fetchTimeoutMs: e.IMAGE_FETCH_TIMEOUT_MS, fetchIdleMs: e.IMAGE_FETCH_IDLE_MS, fetchConcurrency: e.IMAGE_FETCH_CONCURRENCY,
      maxRedirects: e.IMAGE_FETCH_MAX_REDIRECTS, maxBatchLines: e.MAX_BATCH_URL_LINES,
    },
  };
}
