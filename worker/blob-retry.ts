import { JobFailure, RetryableJobFailure } from './job-failure.js';
import type { Logger } from '../shared/logger.js';
import { BlobUnavailableError, type BlobStore } from '../shared/storage.js';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

export interface ReadRetryOptions {
  budgetMs: number;
  log: Logger;
  /** True once the worker is shutting down: a read still retrying then gives the job up (see below). */
  isClosing?: () => boolean;
}

/**
 * The worker's view of the blob store (R28): a read that finds the store unreachable is retried with doubling
 * delays (250 ms … 5 s) for up to `budgetMs`, then the job fails for good with `blob_unavailable` (the
 * processor stores `code: message` errors as that code). Retrying here, inside one attempt, keeps BullMQ's
 * attempts for real failures and makes the budget one number an operator can set. A missing blob is not
 * retried: it will not come back.
 *
 * A worker told to stop while a read is retrying must not sit out the budget past its shutdown budget (the job
 * would stall, and a stalled job is treated as a suspect): the read fails as an ordinary error, so the attempt
 * ends and BullMQ retries the job later, on this worker or another.
 */
export function withReadRetries(store: BlobStore, { budgetMs, log, isClosing }: ReadRetryOptions): BlobStore {
  return {
    tempPath: () => store.tempPath(),
    adopt: (tempFile, key) => store.adopt(tempFile, key),
    put: (bytes, key) => store.put(bytes, key),
    delete: (key) => store.delete(key),
    sweep: (maxAgeMs) => store.sweep(maxAgeMs),
    read: async (key) => {
      const deadline = Date.now() + budgetMs;
      for (let attempt = 1, delay = FIRST_DELAY_MS; ; attempt++, delay = Math.min(delay * 2, MAX_DELAY_MS)) {
        try {
          return await store.read(key);
        } catch (err) {
          if (!(err instanceof BlobUnavailableError)) throw err;
          if (isClosing?.()) throw new RetryableJobFailure('blob_unavailable', 'the image store was unreachable when this worker stopped');
          const left = deadline - Date.now();
          if (left <= 0) {
            throw new JobFailure('blob_unavailable', `the image store was unreachable for ${budgetMs / 1000} s (${attempt} reads)`);
          }
          log.warn({ blob: key, attempt, retry_in_ms: Math.min(delay, left) }, 'image store unreachable: retrying the read');
          await new Promise((r) => setTimeout(r, Math.min(delay, left)));
        }
      }
    },
  };
}
