import { z } from 'zod';
/** What a result carries for a label set is the contract's (probabilities summed over member classes). */
import type { LabelSetResult } from './contract/prediction.js';

/**
 * Label sets: answers in a client's own classes. A model's manifest entry may name groupings of its classes
 * (`"cats-vs-dogs": {"cat": ["281-285"], "dog": ["151-268"]}`); every class in no group falls into `other`, so the
 * probabilities of a set always sum to 1. Members are class ids or inclusive ranges written "a-b" (a lone "a" is one id).
 */
export type LabelSetSpec = Record<string, (number | string)[]>;

/** A label set ready to apply: one group index per class (-1 = `other`). */
export interface LabelSet {
  name: string;
  /** Group names in manifest order; `other` is not among them. */
  groups: string[];
  /** For each class id, the index of its group in `groups`, or -1. */
  groupOf: Int16Array;
}


export const OTHER = 'other';
const MEMBER = /^(\d+)(?:-(\d+))?$/;

const member = z.union([z.number().int().min(0), z.string().regex(MEMBER, 'must be a class id or a range "a-b"')]);
/** Set and group names: lower-case letters, digits, _ and -. */
export const labelSetNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const groupName = z.string().regex(labelSetNamePattern, 'must be lower-case letters, digits, _ -');

/** The manifest's `label_sets` field: set name → group name → members. */
export const labelSetsSchema = z.record(
  groupName,
  z.record(groupName, z.array(member).min(1, 'a group needs at least one class')),
);

function idsOf(m: number | string): [number, number] {
  if (typeof m === 'number') return [m, m];
  const [, a, b] = MEMBER.exec(m)!;
  return [Number(a), Number(b ?? a)];
}

/**
 * Compiles one set for a model with `numClasses` classes. Returns the problems instead of throwing, so the
 * manifest check can report every problem of every set at once.
 */
export function compileLabelSet(name: string, spec: LabelSetSpec, numClasses: number): { set?: LabelSet; problems: string[] } {
  const problems: string[] = [];
  const groups = Object.keys(spec);
  if (groups.length === 0) problems.push(`label set "${name}" has no groups`);
  if (groups.includes(OTHER)) problems.push(`label set "${name}": "${OTHER}" is implicit (every class in no group) and cannot be a group`);
  const groupOf = new Int16Array(numClasses).fill(-1);
  groups.forEach((group, g) => {
    for (const m of spec[group]!) {
      const [from, to] = idsOf(m);
      if (from > to) problems.push(`label set "${name}", group "${group}": range ${m} runs backwards`);
      if (to >= numClasses) problems.push(`label set "${name}", group "${group}": class ${to} is not a class of this model (0..${numClasses - 1})`);
      for (let id = from; id <= Math.min(to, numClasses - 1); id++) {
        const before = groupOf[id]!;
        if (before !== -1 && before !== g) {
          problems.push(`label set "${name}": class ${id} is in both "${groups[before]}" and "${group}"`);
          break;
        }
        groupOf[id] = g;
      }
    }
  });
  return problems.length > 0 ? { problems } : { set: { name, groups, groupOf }, problems };
}

/** Sums per-class probabilities into the set's groups (plus `other`) and names the most likely one. */
export function applyLabelSet(set: LabelSet, probabilities: ArrayLike<number>): LabelSetResult {
  const sums = new Float64Array(set.groups.length + 1);
  for (let i = 0; i < probabilities.length; i++) {
    const g = set.groupOf[i] ?? -1;
    sums[g === -1 ? set.groups.length : g]! += probabilities[i]!;
  }
  const names = [...set.groups, OTHER];
  const out: Record<string, number> = {};
  let best = 0;
  names.forEach((n, g) => {
    out[n] = Math.min(1, Math.max(0, sums[g]!));
    if (sums[g]! > sums[best]!) best = g;
  });
  return { name: set.name, prediction: names[best]!, confidence: out[names[best]!]!, probabilities: out };
}
