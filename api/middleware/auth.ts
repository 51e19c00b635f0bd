import type { RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';
import type { ApiKeyRegistry } from '../auth/api-keys.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The name of the API key that authenticated the request, when auth is on. */
    apiKeyName?: string;
  }
}

/** The key a client sent: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1] ?? (xApiKey?.trim() || undefined);
}

/** 401 without a key or with one that is unknown or revoked. Keys are never logged or echoed. */
export function requireApiKey(keys: ApiKeyRegistry): RequestHandler {
  return (req, res, next) => {
    if (!keys.enabled) return next();
    const key = presentedKey(req.get('authorization'), req.get('x-api-key'));
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new AppError('unauthorized', 'send an API key: Authorization: Bearer <key> or X-API-Key'));
    }
    const name = keys.lookup(key);
    if (!name) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return next(new AppError('unauthorized', 'the API key is not valid (unknown or revoked)'));
    }
    req.apiKeyName = name;
    next();
  };
}
