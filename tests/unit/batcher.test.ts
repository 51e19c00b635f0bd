import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type FlushEvent } from '../../worker/batcher.js';

/** A run that echoes its inputs ×10 after `ms`, recording every batch it saw. */
function echoRun(ms = 0) {
  const batches: number[][] = [];
  const run = async (inputs: number[]) => {
    batches.push([...inputs]);
    if (ms) await new Promise((r) => setTimeout(r, ms));
    return inputs.map((x) => x * 10);
  };
  return { run, batches };
}

describe('Batcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('flushes as soon as the batch is full, without waiting for the delay', async () => {
    const { run, batches } = echoRun();
    const b = new Batcher(run, { maxSize: 3, maxDelayMs: 1000 });
    const flushes: FlushEvent[] = [];
    b.on('flush', (e: FlushEvent) => flushes.push(e));
    const out = Promise.all([1, 2, 3].map((x) => b.submit(x)));
    await vi.advanceTimersByTimeAsync(0);
    expect(await out).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(flushes.map((f) => [f.size, f.reason])).toEqual([[3, 'full']]);
  });

  it('flushes a partial batch when the oldest item has waited the max delay', async () => {
    const { run, batches } = echoRun();
    const b = new Batcher(run, { maxSize: 8, maxDelayMs: 50 });
    const reasons: string[] = [];
    b.on('flush', (e: FlushEvent) => reasons.push(e.reason));
    const first = b.submit(1);
    await vi.advanceTimersByTimeAsync(30);
    const second = b.submit(2);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(19);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
    expect(reasons).toEqual(['timeout']);
  });

  it('runs one batch at a time; items arriving meanwhile form the next batch', async () => {
    const { run, batches } = echoRun(100);
    const b = new Batcher(run, { maxSize: 4, maxDelayMs: 10 });
    const a = [1, 2, 3, 4].map((x) => b.submit(x));
    await vi.advanceTimersByTimeAsync(1);
    const c = [5, 6, 7].map((x) => b.submit(x));
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([[1, 2, 3, 4]]); // still running: the second waits although its delay passed
    await vi.advanceTimersByTimeAsync(60);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7]]);
    await vi.advanceTimersByTimeAsync(100);
    expect(await Promise.all([...a, ...c])).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('splits a backlog into batches of at most maxSize, in order', async () => {
    const { run, batches } = echoRun(5);
    const b = new Batcher(run, { maxSize: 3, maxDelayMs: 0 });
    const all = Promise.all(Array.from({ length: 7 }, (_, i) => b.submit(i)));
    await vi.advanceTimersByTimeAsync(100);
    expect(await all).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.max(...batches.map((x) => x.length))).toBeLessThanOrEqual(3);
  });

  it('fails only the items of the batch whose run failed', async () => {
    let calls = 0;
    const b = new Batcher(
      async (inputs: number[]) => {
        calls++;
        if (inputs.includes(13)) throw new Error('bad batch');
        return inputs.map((x) => x * 10);
      },
      { maxSize: 2, maxDelayMs: 5 },
    );
    const results = [12, 13, 14, 15].map((x) => b.submit(x).then((v) => ({ ok: v }), (e: Error) => ({ err: e.message })));
    await vi.advanceTimersByTimeAsync(50);
    expect(await Promise.all(results)).toEqual([{ err: 'bad batch' }, { err: 'bad batch' }, { ok: 140 }, { ok: 150 }]);
    expect(calls).toBe(2);
  });

  it('rejects a run that returns the wrong number of outputs', async () => {
    const b = new Batcher(async (inputs: number[]) => inputs.slice(1), { maxSize: 2, maxDelayMs: 10 });
    const both = [1, 2].map((x) => b.submit(x).catch((e: Error) => e.message));
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(both)).toEqual(['batch run returned 1 outputs for 2 inputs', 'batch run returned 1 outputs for 2 inputs']);
  });

  it('drains what waits without the delay, and after close runs late arrivals at once', async () => {
    const { run, batches } = echoRun();
    const b = new Batcher(run, { maxSize: 8, maxDelayMs: 10_000 });
    const reasons: string[] = [];
    b.on('flush', (e: FlushEvent) => reasons.push(e.reason));
    const waiting = b.submit(1);
    const closed = b.close();
    await vi.advanceTimersByTimeAsync(1);
    await closed;
    expect(await waiting).toBe(10);
    const late = b.submit(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(await late).toBe(20);
    expect(batches).toEqual([[1], [2]]);
    expect(reasons).toEqual(['drain', 'drain']);
  });

  it('validates its options with the bad value in the message', () => {
    expect(() => new Batcher(async (x: number[]) => x, { maxSize: 0, maxDelayMs: 1 })).toThrow(/maxSize.*got 0/);
    expect(() => new Batcher(async (x: number[]) => x, { maxSize: 1, maxDelayMs: -1 })).toThrow(/maxDelayMs.*got -1/);
  });

  it('runs at once when nothing else is being decoded, and waits while something is', async () => {
    let incoming = 0;
    const { run, batches } = echoRun();
    const b = new Batcher(run, { maxSize: 8, maxDelayMs: 1000, incoming: () => incoming });
    const reasons: string[] = [];
    b.on('flush', (e: FlushEvent) => reasons.push(e.reason));
    expect(await Promise.all([b.submit(1), vi.advanceTimersByTimeAsync(0)]).then(([x]) => x)).toBe(10);
    incoming = 1; // a second image is still being decoded: the first waits for it
    const first = b.submit(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([[1]]);
    incoming = 0;
    const second = b.submit(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(await Promise.all([first, second])).toEqual([20, 30]);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(reasons).toEqual(['idle', 'idle']);
  });
});
