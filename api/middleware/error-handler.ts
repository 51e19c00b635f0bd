import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/contract/error-codes.js';
import type { Logger } from '../../shared/logger.js';

/** The one place where errors become HTTP: `{error: {code, message}, request_id}`, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toAppError(err);
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
  next(new AppError('not_found', 404, `no route ${req.method} ${req.path}`));

const MULTER_ERRORS: Record<string, [number, ErrorCode, string]> = {
  LIMIT_FILE_SIZE: [413, 'payload_too_large', 'the image is larger than the upload limit'],
  LIMIT_PART_COUNT: [413, 'payload_too_large', 'too many parts in the form'],
  LIMIT_FILE_COUNT: [400, 'too_many_files', 'too many files in the form'],
  LIMIT_FIELD_KEY: [400, 'invalid_field', 'a field name is too long'],
  LIMIT_FIELD_VALUE: [400, 'invalid_field', 'a field value is too long'],
  LIMIT_FIELD_COUNT: [400, 'invalid_field', 'too many fields in the form'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_file', 'unexpected file field'],
  MISSING_FIELD_NAME: [400, 'invalid_field', 'a form field has no name'],
};

// ioredis's ways of saying that Redis cannot be reached right now (the producer connection fails fast).
const REDIS_DOWN = /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|enableOfflineQueue|Reached the max retries|ETIMEDOUT|OOM command not allowed|EXECABORT/;

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    const [status, code, message] = MULTER_ERRORS[err.code] ?? [400, 'invalid_upload', err.message];
    const field = err.field ? ` (${err.field})` : '';
    return new AppError(code, status, message + field);
  }
  const e = err as { type?: string; status?: number; message?: string; code?: string };
  if (e?.type === 'entity.parse.failed') return new AppError('invalid_json', 400, 'the body is not valid JSON');
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', 413, 'the body is too large');
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new AppError('insufficient_storage', 507, 'the upload store is full; try again later', undefined, 30);
  }
  if (typeof e?.message === 'string' && /Unexpected end of form|Malformed part header|Multipart: Boundary not found|Request aborted/i.test(e.message)) {
    return new AppError('malformed_multipart', 400, 'the multipart body is malformed or truncated');
  }
  if (typeof e?.message === 'string' && REDIS_DOWN.test(e.message)) {
    // EXECABORT: a MULTI (BullMQ's adds) discarded, in practice because a command in it hit the memory limit.
    const oom = e.message.includes('OOM') || e.message.includes('EXECABORT');
    return new AppError('unavailable', 503, oom ? 'the queue store is out of memory' : 'the queue store is unreachable', undefined, oom ? 30 : 1);
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError('bad_request', e.status, e.message ?? 'bad request');
  }
  return new AppError('internal_error', 500, 'internal error');
}
