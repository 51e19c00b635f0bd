import { describe, expect, it } from 'vitest';
import { poolSize } from '../../api/standalone/pool-size.js';

describe("npm start's libuv pool size", () => {
  it('gives each worker two threads per core it has, never fewer than two', () => {
    expect(poolSize(2, 2)).toBe(2);
    expect(poolSize(4, 4)).toBe(2);
    expect(poolSize(8, 4)).toBe(4);
    expect(poolSize(8, 1)).toBe(16);
    expect(poolSize(1, 1)).toBe(2);
    expect(poolSize(3, 2)).toBe(3);
    expect(poolSize(2, 0)).toBe(4);
  });
});
