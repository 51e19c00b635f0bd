import { ERROR_CODES, type ErrorCode } from './contract/constants.js';

/**
 * Errors with a stable code. The HTTP status comes from the code (the contract's ERROR_CODES, the one table), so
 * a thrower names what went wrong and never a number; they are mapped to HTTP in exactly one place
 * (api/middleware/error-handler.ts); everything else just throws them.
 */

/** A code's HTTP status; the codes a job ends with (status null in the table) answer 500 where they reach HTTP. */
export const statusOf = (code: ErrorCode): number => ERROR_CODES[code] ?? 500;

export interface AppErrorOptions {
  /** Extra fields merged into the error body (e.g. the job id of a timed-out wait). */
  details?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfter?: number;
  /** Overrides the code's status, for a code whose status depends on where it is answered. */
  status?: number;
}

export class AppError extends Error {
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = options.status ?? statusOf(code);
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }
}

export const notFound = (message = 'not found', code: ErrorCode = 'not_found') => new AppError(code, message);
export const invalidField = (message: string) => new AppError('invalid_field', message);
export const unavailable = (message: string, retryAfter = 1) => new AppError('unavailable', message, { retryAfter });
