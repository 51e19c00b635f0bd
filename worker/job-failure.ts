import { UnrecoverableError } from '../shared/queue/index.js';
import type { ErrorCode } from '../shared/contract/error-codes.js';

/**
 * A failure that ends the job at once under its own code (the job's `error.code`): retrying cannot help. A BullMQ
 * UnrecoverableError, so BullMQ spends no further attempt; the worker reads the code from the class, never from
 * the message.
 */
export class JobFailure extends UnrecoverableError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A failure worth another attempt, with the code the job ends with should its attempts run out. */
export class RetryableJobFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The job's error for a final failure: the code a failure class carries, else `inference_error`. */
export function jobErrorOf(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof JobFailure || err instanceof RetryableJobFailure) return { code: err.code, message: err.message };
  return { code: 'inference_error', message: err instanceof Error ? err.message : String(err) };
}
