import { AppError } from '../../shared/errors.js';
import type { IdempotencyStore } from '../adapters/idempotency-store.js';
import type { JobStore } from '../../shared/job-store.js';
import type { JobView } from '../../shared/job-types.js';

/**
 * Claims an Idempotency-Key for a new submission, or answers a replay: the job the key was first used for
 * (null: claimed, go on and create the job). A key whose job has expired is a 404.
 */
export async function claimOrReplay(
  idempotency: IdempotencyStore, jobs: JobStore, scope: string, key: string | undefined, fingerprint: string,
): Promise<JobView | null> {
  if (!key) return null;
  const claim = await idempotency.claim(scope, key, fingerprint);
  if (claim.claimed) return null;
  const existing = await jobs.get(claim.jobId);
  if (existing) return existing.view;
  throw new AppError('not_found', 'the job of this Idempotency-Key has expired');
}
