import { AppError } from '../shared/errors.js';
// The longest deadline a job or batch may carry (7 days): the contract's.
import { MAX_DEADLINE_SECONDS } from '../shared/contract/constants.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h))+$/;
const PART = /(\d+)(ms|s|m|h)/g;

/**
 * The `Cancel-After` header (Replicate's name for it) as milliseconds: one or more `<n><unit>` parts with units
 * ms, s, m, h (`500ms`, `30s`, `5m`, `1m30s`), more than 0 and at most MAX_DEADLINE_SECONDS. Anything else is a
 * 400, never silently no deadline.
 */
export function parseCancelAfter(value: string): number {
  const v = value.trim();
  let ms = 0;
  if (DURATION.test(v)) for (const m of v.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms <= 0 || ms > MAX_DEADLINE_SECONDS * 1000) {
    throw new AppError('invalid_field', `Cancel-After: must be a duration such as 500ms, 30s or 5m, above 0 and at most ${MAX_DEADLINE_SECONDS}s`);
  }
  return ms;
}

/** The deadline asked for, as ms from now: the earlier of `deadline_seconds` and `Cancel-After`, or null. */
export function deadlineMs(deadlineSeconds: number | undefined, cancelAfter: string | undefined): number | null {
  const fromHeader = cancelAfter === undefined ? null : parseCancelAfter(cancelAfter);
  const fromField = deadlineSeconds === undefined ? null : deadlineSeconds * 1000;
  if (fromHeader === null) return fromField;
  return fromField === null ? fromHeader : Math.min(fromField, fromHeader);
}
