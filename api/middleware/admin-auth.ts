import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check of a presented token against the configured one (compared as digests: no length leak). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Guards an endpoint with `Authorization: Bearer <token>`. Without a configured token the endpoint is off (403),
 * never open. `name` is the setting the operator must set, for the error message.
 */
export function requireToken(token: string | undefined, name: string): RequestHandler {
  return (req, res, next) => {
    if (!token) return next(new AppError('forbidden', `this endpoint is off; set ${name} to enable it`));
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new AppError('unauthorized', `send Authorization: Bearer <${name}>`));
    }
    if (!tokenMatches(m[1]!.trim(), token)) return next(new AppError('forbidden', `wrong ${name}`));
    next();
  };
}

/** Operator endpoints: `ADMIN_TOKEN`. */
export const requireAdmin = (token: string | undefined) => requireToken(token, 'ADMIN_TOKEN');
