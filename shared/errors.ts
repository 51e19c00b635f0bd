/**
 * Errors with a stable code. The HTTP status comes from the code (ERROR_STATUS, the one table), so a thrower
 * names what went wrong and never a number; they are mapped to HTTP in exactly one place
 * (api/middleware/error-handler.ts); everything else just throws them.
 */

/** Every error code's HTTP status. A code missing here answers 500. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  bad_request: 400,
  invalid_field: 400,
  invalid_json: 400,
  invalid_image_url: 400,
  invalid_webhook_url: 400,
  invalid_upload: 400,
  malformed_multipart: 400,
  missing_image: 400,
  too_many_files: 400,
  unexpected_file: 400,
  unknown_label_set: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_model: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  batch_not_open: 409,
  idempotency_in_progress: 409,
  not_cancelable: 409,
  line_too_long: 413,
  payload_too_large: 413,
  too_many_lines: 413,
  unsupported_media_type: 415,
  fetch_failed: 422,
  idempotency_mismatch: 422,
  image_too_large: 422,
  invalid_image: 422,
  rate_limited: 429,
  internal_error: 500,
  not_ready: 503,
  overloaded: 503,
  unavailable: 503,
  timeout: 504,
  insufficient_storage: 507,
};

export const statusOf = (code: string): number => ERROR_STATUS[code] ?? 500;

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

  constructor(code: string, message: string, options?: AppErrorOptions);
  /** @deprecated the old positional form, kept until every caller passes options (issue 13). */
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>, retryAfter?: number);
  constructor(
    readonly code: string,
    second: string | number,
    third?: string | AppErrorOptions,
    details?: Record<string, unknown>,
    retryAfter?: number,
  ) {
    const positional = typeof second === 'number';
    const options: AppErrorOptions = positional ? { status: second, details, retryAfter } : ((third as AppErrorOptions | undefined) ?? {});
    super(positional ? (third as string) : second);
    this.name = 'AppError';
    this.status = options.status ?? statusOf(code);
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }
}

export const notFound = (message = 'not found', code = 'not_found') => new AppError(code, message);
export const invalidField = (message: string) => new AppError('invalid_field', message);
export const unavailable = (message: string, retryAfter = 1) => new AppError('unavailable', message, { retryAfter });
