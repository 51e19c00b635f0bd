import type { ModelSpec } from '../shared/model-manifest.js';
import { labelSetOf } from '../shared/model-catalog.js';
import { applyLabelSet } from '../shared/label-sets.js';
import type { LabelSetResult, Prediction } from '../shared/contract/prediction.js';

/**
 * The k best classes, best first (ties: lower class id first). Logits go through a softmax shifted by the maximum,
 * so large logits cannot overflow exp(); probabilities are only clamped into [0, 1] against rounding.
 * A class without a label is named by its id rather than failing the whole job.
 */
export function topK(
  scores: Float32Array | number[],
  kind: 'logits' | 'probabilities',
  k: number,
  labels: readonly string[],
): Prediction[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`Expected \`k\` to be an integer from 0 and up, got \`${k}\``);
  }
  const best = bestIndices(scores, Math.min(k, scores.length));
  const toConfidence = kind === 'logits' ? softmaxOf(scores) : (i: number) => clamp01(scores[i]!);
  return best.map((i) => ({ label: labels[i] ?? String(i), class_id: i, confidence: toConfidence(i) }));
}

/** Every class's probability (softmax over logits, or the model's own probabilities clamped into [0, 1]). */
export function probabilities(scores: Float32Array | number[], kind: 'logits' | 'probabilities'): Float64Array {
  const of = kind === 'logits' ? softmaxOf(scores) : (i: number) => clamp01(scores[i]!);
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = of(i);
  return out;
}

/**
 * The answer in a label set's classes: per-class probabilities summed into its groups. The set was checked at
 * submit; one that is gone (the manifest changed under a queued job) gives no answer rather than failing the job.
 */
export function labelSetAnswer(spec: ModelSpec, name: string, scores: Float32Array | number[]): LabelSetResult | undefined {
  const set = labelSetOf(spec, name);
  return set ? applyLabelSet(set, probabilities(scores, spec.output)) : undefined;
}

// Partial insertion selection: O(n·k) beats sorting 1000 scores when k is 5.
function bestIndices(scores: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  if (k === 0) return best;
  for (let i = 0; i < scores.length; i++) {
    const s = score(scores, i);
    if (best.length === k && s <= score(scores, best[k - 1]!)) continue;
    let j = best.length === k ? k - 1 : best.length;
    while (j > 0 && score(scores, best[j - 1]!) < s) {
      best[j] = best[j - 1]!;
      j--;
    }
    best[j] = i;
  }
  return best;
}

// NaN (a broken model output) ranks last instead of poisoning every comparison.
function score(scores: ArrayLike<number>, i: number): number {
  const s = scores[i]!;
  return Number.isNaN(s) ? -Infinity : s;
}

/** Returns a function giving the softmax probability of class i over all scores. */
function softmaxOf(scores: ArrayLike<number>): (i: number) => number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, score(scores, i));
  if (!Number.isFinite(max)) {
    // All -Infinity, or some +Infinity: the mass is shared equally by the entries at the maximum.
    let count = 0;
    for (let i = 0; i < scores.length; i++) if (score(scores, i) === max) count++;
    return (i) => (score(scores, i) === max ? 1 / count : 0);
  }
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(score(scores, i) - max);
  return (i) => clamp01(Math.exp(score(scores, i) - max) / sum);
}

function clamp01(x: number): number {
  return Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, x));
}

/** One subarray view per batch item (no copies); a [N,1000,1,1] output reads as 1000 per item. */
export function splitBatchOutput(data: Float32Array, batchSize: number): Float32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Expected \`batchSize\` to be an integer from 1 and up, got \`${batchSize}\``);
  }
  if (data.length % batchSize !== 0) {
    throw new RangeError(`output of ${data.length} values does not split into ${batchSize} equal items`);
  }
  const per = data.length / batchSize;
  return Array.from({ length: batchSize }, (_, b) => data.subarray(b * per, (b + 1) * per));
}
