import { describe, expect, it } from 'vitest';
import { BATCH_BAND, BULL_PRIORITY_LIMIT, ITEMS_PER_ROUND, PRIORITY, batchItemPriority, toBullPriority } from '../../shared/queue/index.js';

describe('BullMQ priority layout', () => {
  it('orders single jobs 10..5, then the batch band, then single jobs 4..0, all inside BullMQ range', () => {
    const singles = Array.from({ length: PRIORITY.max + 1 }, (_, i) => toBullPriority(PRIORITY.max - i));
    // Strictly increasing from level 10 down to level 0, and inside 1..BullMQ's limit.
    for (let i = 1; i < singles.length; i++) expect(singles[i]).toBeGreaterThan(singles[i - 1]!);
    expect(singles[0]).toBe(1);
    expect(singles.at(-1)).toBe(BULL_PRIORITY_LIMIT);
    expect(toBullPriority(null)).toBe(toBullPriority(PRIORITY.default));
    // The band sits strictly between level 5 and level 4.
    expect(BATCH_BAND.first).toBeGreaterThan(toBullPriority(5));
    expect(BATCH_BAND.last).toBeLessThan(toBullPriority(4));
    // Jobs queued by older APIs (5 → 11, batch items → 12) keep their meaning.
    expect(toBullPriority(5)).toBe(11);
    expect(batchItemPriority(0)).toBe(12);
  });

  it('gives a round to every ITEMS_PER_ROUND places and never leaves the band, however long the batch', () => {
    expect(batchItemPriority(ITEMS_PER_ROUND - 1)).toBe(BATCH_BAND.first);
    expect(batchItemPriority(ITEMS_PER_ROUND)).toBe(BATCH_BAND.first + 1);
    // A 100,000-item batch uses a small part of the band.
    expect(batchItemPriority(99_999)).toBe(BATCH_BAND.first + Math.floor(99_999 / ITEMS_PER_ROUND));
    expect(batchItemPriority(99_999)).toBeLessThan(BATCH_BAND.first + (BATCH_BAND.last - BATCH_BAND.first) / 100);
    // Far past the band's end it saturates at the band's last number, still before level 4's single jobs.
    for (const place of [17_000_000, 1e9, Number.MAX_SAFE_INTEGER]) {
      expect(batchItemPriority(place)).toBe(BATCH_BAND.last);
      expect(batchItemPriority(place)).toBeLessThanOrEqual(BULL_PRIORITY_LIMIT);
    }
  });
});
