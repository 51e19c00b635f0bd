import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Guards operator endpoints with `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token they are off
 * (403), never open. Compared in constant time on digests, so neither content nor length leaks through timing.
 */
export function requireAdmin(token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : null;
  return (req, _res, next) => {
    if (!expected) return next(new AppError('forbidden', 403, 'operator endpoints are off; set ADMIN_TOKEN to enable them'));
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (!m) return next(new AppError('unauthorized', 401, 'send Authorization: Bearer <ADMIN_TOKEN>'));
    if (!timingSafeEqual(digest(m[1]!.trim()), expected)) return next(new AppError('forbidden', 403, 'wrong admin token'));
    next();
  };
}
