import { describe, expect, it } from 'vitest';
import { deadlineMs, parseCancelAfter } from '../../api/cancel-after.js';

describe('Cancel-After', () => {
  it('reads durations in ms, s, m, h and their sums', () => {
    expect(parseCancelAfter('500ms')).toBe(500);
    expect(parseCancelAfter('30s')).toBe(30_000);
    expect(parseCancelAfter('5m')).toBe(300_000);
    expect(parseCancelAfter('1m30s')).toBe(90_000);
    expect(parseCancelAfter(' 2h ')).toBe(7_200_000);
    expect(parseCancelAfter('604800s')).toBe(604_800_000);
  });

  it('refuses anything else with a 400 invalid_field, never silently no deadline', () => {
    for (const v of ['', '30', 'soon', '5m x', '0s', '0ms', '-5s', '1.5s', '604801s', '169h', 's30']) {
      expect(() => parseCancelAfter(v), v).toThrow(expect.objectContaining({ code: 'invalid_field', status: 400 }));
    }
  });

  it('takes the earlier of deadline_seconds and the header', () => {
    expect(deadlineMs(undefined, undefined)).toBeNull();
    expect(deadlineMs(60, undefined)).toBe(60_000);
    expect(deadlineMs(undefined, '500ms')).toBe(500);
    expect(deadlineMs(60, '5m')).toBe(60_000);
    expect(deadlineMs(600, '5m')).toBe(300_000);
  });
});
