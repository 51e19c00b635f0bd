import cors from 'cors';
import type { RequestHandler } from 'express';

/** Headers a browser script may read from our answers (CORS hides every other non-simple header). */
const EXPOSED = [
  'Location', 'X-Request-Id', 'Retry-After', 'ETag', 'Preference-Applied',
  'RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset',
];

/**
 * Cross-origin access for browser clients (`CORS_ORIGINS`), by the `cors` middleware: preflights (`OPTIONS` with
 * `Origin` and `Access-Control-Request-Method`) are answered 204 before authentication, as browsers send them
 * without credentials. Null when no origin is configured: no CORS headers at all, browsers keep same-origin.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler | null {
  if (origins.length === 0) return null;
  return cors({
    // A list is matched exactly and the one origin echoed (with Vary: Origin); `*` allows any page.
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    // Not set: the request's Access-Control-Request-Headers are allowed (Authorization, Idempotency-Key,
    // Prefer, Last-Event-ID, ...). No credentials: the API takes bearer keys, not cookies.
    exposedHeaders: EXPOSED,
    maxAge: 600,
  });
}
