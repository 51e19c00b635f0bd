import multer from 'multer';
import { AppError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/contract/error-codes.js';

const MULTER_ERRORS: Record<string, [ErrorCode, string]> = {
  LIMIT_FILE_SIZE: ['payload_too_large', 'the image is larger than the upload limit'],
  LIMIT_PART_COUNT: ['payload_too_large', 'too many parts in the form'],
  LIMIT_FILE_COUNT: ['too_many_files', 'too many files in the form'],
  LIMIT_FIELD_KEY: ['invalid_field', 'a field name is too long'],
  LIMIT_FIELD_VALUE: ['invalid_field', 'a field value is too long'],
  LIMIT_FIELD_COUNT: ['invalid_field', 'too many fields in the form'],
  LIMIT_UNEXPECTED_FILE: ['unexpected_file', 'unexpected file field'],
  MISSING_FIELD_NAME: ['invalid_field', 'a form field has no name'],
};

/** 507 for a write that found the disk (or the quota) full, by the system error's code; else null. */
export function diskFull(err: unknown): AppError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  return new AppError('insufficient_storage', 'the upload store is full; try again later', { retryAfter: 30 });
}

/**
 * What an error raised while multer reads a form means. multer's own errors say which limit by their `code`;
 * a full disk under a temp file says so by its system code; another system error (one with a `syscall`) is
 * ours and stays as it is (500), and so does an error of any class but a plain Error (our bug). A plain Error
 * comes from busboy or the request stream while the body was parsed (a missing boundary, a malformed part
 * header, a body cut short, an aborted request): the body is malformed by construction, whatever the words.
 */
export function uploadError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    const [code, message] = MULTER_ERRORS[err.code] ?? ['invalid_upload' as const, err.message];
    return new AppError(code, message + (err.field ? ` (${err.field})` : ''));
  }
  const full = diskFull(err);
  if (full) return full;
  if (typeof (err as { syscall?: unknown } | null)?.syscall === 'string') return err;
  // busboy, multer and the request stream raise plain Errors; anything of another class (a TypeError, a
  // RangeError: a bug in our storage engines) stays as it is, a 500 logged loudly.
  if (!(err instanceof Error) || Object.getPrototypeOf(err) !== Error.prototype) return err;
  return new AppError('malformed_multipart', 'the multipart body is malformed or truncated');
}
