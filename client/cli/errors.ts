/**
 * The CLI's exit codes and the errors a command throws to end with one of them.
 *
 * Exit codes: 0 done; 1 error (the server refused or could not be reached, an upload was not recovered, the batch
 * was canceled); 2 the run finished but some items failed (batch items, submitted jobs, eval images); 64 usage
 * error; 130 interrupted (Ctrl-C; a batch can be resumed by running the same command again).
 */
import { InferqError } from '../inferq-client.js';

export const EXIT = { ok: 0, error: 1, itemsFailed: 2, usage: 64, interrupted: 130 } as const;

/** Bad arguments: printed with a pointer to `--help`, exit 64. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI explains itself (no stack, no HTTP details beyond the message). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Ctrl-C: the command stops where it is (exit 130). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptError';
  }
}

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && (err.name === 'AbortError' || err.name === 'InterruptError'));
}

/** One line for an error: the API's code and message with the HTTP status and request id. */
export function describeError(err: unknown): string {
  if (err instanceof InferqError) {
    const where = err.status ? ` (HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''})` : '';
    return `${err.code}: ${err.message}${where}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Waits `ms`, or rejects with `Interrupted` as soon as `signal` aborts. */
export function sleepOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const onAbort = () => {
      clearTimeout(t);
      reject(new Interrupted());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
