import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { storeUnavailable, type StoreState } from '../adapters/store-errors.js';
import { diskFull } from './upload-errors.js';

/** Without a queue store (an app under test that has none): nothing is the store's fault. */
const NO_STORE: StoreState = { up: async () => true };

/** The one place where errors become HTTP: `{error: {code, message}, request_id}`, never a stack trace. */
export function errorHandler(logger: Logger, store: StoreState = NO_STORE): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const e = await toAppError(err, store);
    const log = logger.child({ request_id: req.id, method: req.method, route: req.route?.path ?? 'unmatched' });
    if (e.status >= 500 && e.code === 'internal_error') log.error({ err }, 'unexpected error');
    // The message can quote client input (an id, a field name): it goes under a key of ours, not as the message.
    // Debug: the access line (middleware/access-log.ts) already says it at info, with the code.
    else log.debug({ code: e.code, status: e.status, detail: e.message }, 'request refused');
    res.locals.errorCode = e.code;
    if (res.headersSent) return res.end();
    if (e.retryAfter !== undefined) res.setHeader('Retry-After', String(e.retryAfter));
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...e.details }, request_id: req.id });
  };
}

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new AppError('not_found', `no route ${req.method} ${req.path}`));

/**
 * Our errors as they are; body-parser's by their `type`; the queue store's by class and connection state
 * (adapters/store-errors.ts); a full disk by its system code. Errors multer raises arrive as AppErrors
 * already (middleware/upload-errors.ts).
 */
export async function toAppError(err: unknown, store: StoreState = NO_STORE): Promise<AppError> {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return new AppError('invalid_json', 'the body is not valid JSON');
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', 'the body is too large');
  // A full disk under the blob store: an upload's temp file, or a single image written by its use case.
  const full = diskFull(err);
  if (full) return full;
  // body-parser's and http-errors' own 4xx first: a client's error stays the client's while Redis is down.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError('bad_request', e.message ?? 'bad request', { status: e.status });
  }
  const down = await storeUnavailable(err, store);
  if (down) return down;
  return new AppError('internal_error', 'internal error');
}
