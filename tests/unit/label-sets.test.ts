import { describe, expect, it } from 'vitest';
import { applyLabelSet, compileLabelSet } from '../../shared/label-sets.js';
import { parseManifest, loadManifest } from '../../shared/model-manifest.js';
import { fileURLToPath } from 'node:url';
import { probabilities } from '../../worker/postprocess.js';

const repoManifest = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

describe('label sets', () => {
  it('sums member probabilities into groups, the rest into other, and names the largest', () => {
    const { set, problems } = compileLabelSet('pets', { cat: [1, '3-4'], dog: ['6-7'] }, 10);
    expect(problems).toEqual([]);
    //             0    1    2    3    4    5    6    7    8    9
    const p = [0.05, 0.1, 0.05, 0.1, 0.05, 0.05, 0.3, 0.2, 0.05, 0.05];
    const r = applyLabelSet(set!, p);
    expect(r.name).toBe('pets');
    expect(r.prediction).toBe('dog');
    expect(r.confidence).toBeCloseTo(0.5, 10);
    expect(r.probabilities.cat).toBeCloseTo(0.25, 10);
    expect(r.probabilities.other).toBeCloseTo(0.25, 10);
    expect(Object.keys(r.probabilities)).toEqual(['cat', 'dog', 'other']);
  });

  it('answers other when the mass is outside every group', () => {
    const { set } = compileLabelSet('pets', { cat: [0], dog: [1] }, 4);
    const r = applyLabelSet(set!, [0.1, 0.1, 0.4, 0.4]);
    expect(r).toMatchObject({ prediction: 'other' });
    expect(r.confidence).toBeCloseTo(0.8, 10);
  });

  it('works from logits through the softmax, summing to 1', () => {
    const { set } = compileLabelSet('halves', { low: ['0-499'], high: ['500-998'] }, 1000);
    const logits = Float32Array.from({ length: 1000 }, (_, i) => (i % 7) - 3);
    const r = applyLabelSet(set!, probabilities(logits, 'logits'));
    const total = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 6);
    expect(r.probabilities.other).toBeGreaterThan(0); // class 999 is in no group
  });

  it('reports unknown class ids, overlaps, backwards ranges and a group called other, all at once', () => {
    const { set, problems } = compileLabelSet('bad', { a: ['0-5'], b: [5, 12], other: [8], c: ['9-7'] }, 10);
    expect(set).toBeUndefined();
    expect(problems.join('\n')).toMatch(/class 5 is in both "a" and "b"/);
    expect(problems.join('\n')).toMatch(/class 12 is not a class of this model \(0\.\.9\)/);
    expect(problems.join('\n')).toMatch(/"other" is implicit/);
    expect(problems.join('\n')).toMatch(/range 9-7 runs backwards/);
  });

  it('stops a manifest with a bad label set, naming the model and the set', () => {
    const manifest = loadManifest(repoManifest);
    const bad = structuredClone(manifest);
    bad.models[0]!.label_sets = { 'cats-vs-dogs': { cat: ['281-285'], dog: ['151-285'] }, typo: { x: ['1000'] as unknown as string[] } };
    expect(() => parseManifest(bad, 'test')).toThrow(/models\.0\.label_sets\.cats-vs-dogs: label set "cats-vs-dogs": class 281 is in both "cat" and "dog"/);
    expect(() => parseManifest(bad, 'test')).toThrow(/models\.0\.label_sets\.typo/);
  });

  it('ships cats-vs-dogs for every ImageNet model: ImageNet 281–285 cats, 151–268 dogs', () => {
    for (const spec of loadManifest(repoManifest).models) {
      const { set } = compileLabelSet('cats-vs-dogs', spec.label_sets!['cats-vs-dogs']!, spec.num_classes);
      const members = (g: number) => [...set!.groupOf.keys()].filter((i) => set!.groupOf[i] === g);
      expect(members(0), spec.name).toEqual([281, 282, 283, 284, 285]);
      expect(members(1)).toHaveLength(268 - 151 + 1);
      expect(members(1)[0]).toBe(151);
    }
  });
});
