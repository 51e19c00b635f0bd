import type { Model } from '../../../types.js';

export type LabelSetInfo = Model['label_sets'][number];

/** How an evaluation did in a label set's classes (e.g. cat / dog / other). */
export interface LabelSetScore {
  name: string;
  images: number;
  correct: number;
  accuracy: number;
  /** expected class → predicted class → images; a failed image is predicted as `error`. */
  confusion: Record<string, Record<string, number>>;
}

const RANGE = /^(\d+)-(\d+)$/;

/** The label-set class an ImageNet (model output) class id belongs to: its group, or `other`. */
export function groupOfClass(set: LabelSetInfo, classId: number): string {
  for (const [group, members] of Object.entries(set.groups)) {
    for (const m of members) {
      const r = typeof m === 'string' ? RANGE.exec(m) : null;
      const [from, to] = r ? [Number(r[1]), Number(r[2])] : [Number(m), Number(m)];
      if (classId >= from && classId <= to) return group;
    }
  }
  return 'other';
}

/** Accuracy and confusion counts from (expected, predicted) pairs; predicted null means the image failed. */
export function scoreLabelSet(name: string, pairs: { expected: string; predicted: string | null }[]): LabelSetScore {
  const confusion: Record<string, Record<string, number>> = {};
  let correct = 0;
  for (const { expected, predicted } of pairs) {
    const row = (confusion[expected] ??= {});
    const p = predicted ?? 'error';
    row[p] = (row[p] ?? 0) + 1;
    if (predicted === expected) correct++;
  }
  const accuracy = pairs.length ? Math.round((correct / pairs.length) * 10_000) / 10_000 : 0;
  return { name, images: pairs.length, correct, accuracy, confusion };
}

/** The report's lines for a label set: accuracy, then one line per expected class. */
export function formatLabelSetScore(s: LabelSetScore): string[] {
  const lines = [`Label set ${s.name}: accuracy ${(s.accuracy * 100).toFixed(1)} %  (${s.correct}/${s.images})`];
  for (const [expected, row] of Object.entries(s.confusion).sort()) {
    const cells = Object.entries(row).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`);
    lines.push(`  ${expected}: ${cells.join(', ')}`);
  }
  return lines;
}
