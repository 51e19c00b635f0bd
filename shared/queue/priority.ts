// The API's priority range is the contract's (its zod-free constants: the queue adapter loads no schema); the
// queue maps it onto BullMQ's numbers.
import { PRIORITY } from '../contract/constants.js';

export { PRIORITY };

/** BullMQ's highest priority number (its PRIORITY_LIMIT); within one number it runs jobs first come, first served. */
export const BULL_PRIORITY_LIMIT = 2 ** 21 - 1;

/**
 * BullMQ's numbers, lowest first. Single jobs of 10..5 take 1, 3, .., 11 (as before fair batches, so jobs queued by
 * an older API keep their place); then the batch band, one number per round of the fair share (12 = round 0, which
 * older APIs gave every batch item); then single jobs of 4..0 at the very top.
 */
export const BATCH_BAND = { first: 12, last: BULL_PRIORITY_LIMIT - PRIORITY.default } as const;
/** Rounds in the band: a round past the last shares the last number (first come, first served among those). */
export const BATCH_ROUNDS = BATCH_BAND.last - BATCH_BAND.first + 1;
/**
 * Items of one batch per round: each batch's 8 next items, then the next batch's 8, and so on. 8 is the default
 * model batch (BATCH_MAX_SIZE), so finer turns would not show in a worker's runs, and 8 items a round make the
 * band last 8 × ~2.1 million items of one batch ahead of the queue's head before it saturates (docs/api.md).
 */
export const ITEMS_PER_ROUND = 8;

/**
 * BullMQ's priority for a single job. BullMQ runs lower numbers first and FIFO within a number, but runs its
 * un-prioritised jobs (0) before every prioritised one, so every job gets a number, none jumps the queue. A higher
 * level always runs first, and batch items (which run as level 5, see batchItemPriority) go after the single jobs
 * of 5 and above and before those of 0..4.
 */
export function toBullPriority(priority: number | null): number {
  const p = priority ?? PRIORITY.default;
  return p >= PRIORITY.default ? 1 + 2 * (PRIORITY.max - p) : BULL_PRIORITY_LIMIT - p;
}

/**
 * BullMQ's priority for a batch item given its place in its batch's fair share (shared/queue/fair-share.ts):
 * the n-th item of every batch gets the same round, so batches take turns. Never past the band, however long the
 * batch: a saturated round only loses the turns, nothing fails.
 */
export function batchItemPriority(share: number): number {
  return BATCH_BAND.first + Math.min(Math.floor(share / ITEMS_PER_ROUND), BATCH_ROUNDS - 1);
}

/** The fetch queue's order: single jobs' fetches before batch items' (BullMQ runs lower numbers first). */
export const fetchPriority = (inBatch: boolean) => (inBatch ? 2 : 1);
