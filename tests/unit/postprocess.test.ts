import { describe, expect, it } from 'vitest';
import { splitBatchOutput, topK } from '../../worker/postprocess.js';

const labels = ['zero', 'one', 'two', 'three'];

describe('topK', () => {
  it('softmaxes logits and sorts best first', () => {
    const top = topK(Float32Array.from([1, 3, 2, 0]), 'logits', 3, labels);
    const z = Math.exp(0) + Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(top.map((p) => [p.class_id, p.label])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [0, 'zero'],
    ]);
    expect(top[0]!.confidence).toBeCloseTo(Math.exp(3) / z, 12);
    expect(top[1]!.confidence).toBeCloseTo(Math.exp(2) / z, 12);
    expect(top[2]!.confidence).toBeCloseTo(Math.exp(1) / z, 12);
  });

  it('stays finite for huge logits (shifted by the maximum)', () => {
    const shifted = topK([1000, 1003, 1002, 1001], 'logits', 4, labels);
    const plain = topK([0, 3, 2, 1], 'logits', 4, labels);
    expect(shifted.map((p) => p.class_id)).toEqual([1, 2, 3, 0]);
    shifted.forEach((p, i) => expect(p.confidence).toBeCloseTo(plain[i]!.confidence, 12));
    expect(shifted.reduce((sum, p) => sum + p.confidence, 0)).toBeCloseTo(1, 12);
    expect(topK([-1e6, 0, -1e6, -1e6], 'logits', 1, labels)[0]).toEqual({ label: 'one', class_id: 1, confidence: 1 });
  });

  it('passes probabilities through, clamped into [0, 1]', () => {
    const top = topK([0.25, 1.0000001, -1e-7, 0.5], 'probabilities', 4, labels);
    expect(top).toEqual([
      { label: 'one', class_id: 1, confidence: 1 },
      { label: 'three', class_id: 3, confidence: 0.5 },
      { label: 'zero', class_id: 0, confidence: 0.25 },
      { label: 'two', class_id: 2, confidence: 0 },
    ]);
  });

  it('breaks ties by the lower class id and ranks NaN last', () => {
    expect(topK([NaN, 0.2, 0.5, 0.2], 'probabilities', 4, labels).map((p) => p.class_id)).toEqual([2, 1, 3, 0]);
    const all = topK([-Infinity, -Infinity, -Infinity, -Infinity], 'logits', 2, labels);
    expect(all).toEqual([
      { label: 'zero', class_id: 0, confidence: 0.25 },
      { label: 'one', class_id: 1, confidence: 0.25 },
    ]);
  });

  it('clips k to the number of classes, allows 0, rejects nonsense', () => {
    expect(topK([0.1, 0.9], 'probabilities', 5, labels)).toHaveLength(2);
    expect(topK([0.1, 0.9], 'probabilities', 0, labels)).toEqual([]);
    expect(() => topK([0.1], 'probabilities', -1, labels)).toThrow(/got `-1`/);
    expect(() => topK([0.1], 'probabilities', 1.5, labels)).toThrow(RangeError);
  });

  it('names a class without a label by its id', () => {
    expect(topK([0, 0, 0, 0, 9], 'logits', 1, labels)[0]!.label).toBe('4');
  });

  it('finds the best of 1000 like a full sort does', () => {
    const scores = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 7);
    const bySort = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, 5);
    expect(topK(scores, 'logits', 5, []).map((p) => p.class_id)).toEqual(bySort);
  });
});

describe('splitBatchOutput', () => {
  it('returns one view per item, sharing the memory', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    const items = splitBatchOutput(data, 3);
    expect(items.map((v) => Array.from(v))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    items[1]![0] = 42;
    expect(data[4]).toBe(42);
  });

  it('reads an [N,1000,1,1] output as 1000 per item', () => {
    expect(splitBatchOutput(new Float32Array(2 * 1000), 2).map((v) => v.length)).toEqual([1000, 1000]);
  });

  it('rejects a batch size that does not divide the output', () => {
    expect(() => splitBatchOutput(new Float32Array(10), 3)).toThrow(/10 values/);
    expect(() => splitBatchOutput(new Float32Array(10), 0)).toThrow(/got `0`/);
  });
});
