import type { ErrorCode } from './contract/error-codes.js';

/**
 * Errors with a stable code and an HTTP status. They are mapped to HTTP in exactly one place
 * (api/middleware/error-handler.ts); everything else just throws them.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    /** Extra fields merged into the error body (e.g. the job id of a timed-out wait). */
    readonly details?: Record<string, unknown>,
    /** Seconds a client should wait before retrying (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (message = 'not found', code: ErrorCode = 'not_found') => new AppError(code, 404, message);
export const unavailable = (message: string, retryAfter = 1) =>
  new AppError('unavailable', 503, message, undefined, retryAfter);
