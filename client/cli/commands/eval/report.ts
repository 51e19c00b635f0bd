/** The report of `inferq eval`: accuracy, latency percentiles, worst classes, misclassified images. */
import type { JobStatus } from '../../../types.js';
import { formatLabelSetScore, type LabelSetScore } from './label-set.js';
import { formatMs, pct, table } from '../../format.js';

/**
 * The p-th percentile (0..100) of `values` by linear interpolation between closest ranks (numpy's default);
 * null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const frac = rank - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export interface EvalItemResult {
  file: string;
  class_index: number;
  label: string | null;
  job_id: string | null;
  status: JobStatus | 'error';
  latency_ms: number | null;
  predicted: { class_id: number; label: string; confidence: number } | null;
  top5: { class_id: number; label: string; confidence: number }[];
  top1_correct: boolean;
  top5_correct: boolean;
  error: string | null;
  /** With --label-set: the image's class in the set, and what the service answered in it (null: failed). */
  label_set?: { expected: string; predicted: string | null };
}

export interface EvalReport {
  tool: 'inferq eval';
  version: 1;
  url: string;
  model: { name: string; version: string } | null;
  dataset: { dir: string; labels: string; images: number; missing: string[] };
  started_at: string;
  elapsed_s: number;
  concurrency: number;
  images: number;
  succeeded: number;
  errors: number;
  top1: number;
  top5: number;
  top1_correct: number;
  top5_correct: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; mean: number | null; min: number | null; max: number | null };
  throughput_ips: number;
  worst_classes: {
    class_index: number;
    label: string | null;
    images: number;
    misclassified: number;
    error_rate: number;
    predicted_as: string[];
  }[];
  /** With --label-set: accuracy in the set's classes. */
  label_set?: LabelSetScore;
  misclassified: {
    file: string;
    expected: { class_index: number; label: string | null };
    predicted: { class_id: number; label: string; confidence: number } | null;
    in_top5: boolean;
    error: string | null;
  }[];
  results: EvalItemResult[];
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The report of an evaluation from its per-image results (pure; `elapsedS` is the wall time of the run). */
export function buildEvalReport(
  results: readonly EvalItemResult[],
  meta: {
    url: string;
    model?: { name: string; version: string } | null;
    dir: string;
    labels: string;
    missing: string[];
    startedAt: string;
    elapsedS: number;
    concurrency: number;
  },
): EvalReport {
  const n = results.length;
  const ok = results.filter((r) => r.status === 'succeeded');
  const latencies = ok.map((r) => r.latency_ms!).filter((x) => typeof x === 'number');
  const top1 = results.filter((r) => r.top1_correct).length;
  const top5 = results.filter((r) => r.top5_correct).length;
  const p = (q: number) => {
    const v = percentile(latencies, q);
    return v === null ? null : round(v, 1);
  };
  const byClass = new Map<number, EvalItemResult[]>();
  for (const r of results) byClass.set(r.class_index, [...(byClass.get(r.class_index) ?? []), r]);
  const worst = [...byClass.entries()]
    .map(([ci, rs]) => {
      const wrong = rs.filter((r) => !r.top1_correct);
      return {
        class_index: ci,
        label: rs[0]!.label,
        images: rs.length,
        misclassified: wrong.length,
        error_rate: round(wrong.length / rs.length, 4),
        predicted_as: wrong.map((r) => (r.predicted ? r.predicted.label : `error: ${r.error ?? r.status}`)),
      };
    })
    .filter((c) => c.misclassified > 0)
    .sort((a, b) => b.misclassified - a.misclassified || b.error_rate - a.error_rate || a.class_index - b.class_index);
  const misclassified = results
    .filter((r) => !r.top1_correct)
    .map((r) => ({
      file: r.file,
      expected: { class_index: r.class_index, label: r.label },
      predicted: r.predicted,
      in_top5: r.top5_correct,
      error: r.error,
    }))
    // Errors first, then the most confident mistakes.
    .sort((a, b) => (b.error ? 1 : 0) - (a.error ? 1 : 0) || (b.predicted?.confidence ?? 0) - (a.predicted?.confidence ?? 0));
  return {
    tool: 'inferq eval',
    version: 1,
    url: meta.url,
    model: meta.model ?? null,
    dataset: { dir: meta.dir, labels: meta.labels, images: n, missing: meta.missing },
    started_at: meta.startedAt,
    elapsed_s: round(meta.elapsedS, 3),
    concurrency: meta.concurrency,
    images: n,
    succeeded: ok.length,
    errors: results.filter((r) => r.status !== 'succeeded').length,
    top1: n ? round(top1 / n, 4) : 0,
    top5: n ? round(top5 / n, 4) : 0,
    top1_correct: top1,
    top5_correct: top5,
    latency_ms: {
      p50: p(50),
      p95: p(95),
      p99: p(99),
      mean: latencies.length ? round(latencies.reduce((a, b) => a + b, 0) / latencies.length, 1) : null,
      min: latencies.length ? round(Math.min(...latencies), 1) : null,
      max: latencies.length ? round(Math.max(...latencies), 1) : null,
    },
    throughput_ips: meta.elapsedS > 0 ? round(n / meta.elapsedS) : 0,
    worst_classes: worst,
    misclassified,
    results: [...results],
  };
}

/** The readable table of a report. */
export function formatEvalReport(r: EvalReport, maxRows = 15): string {
  const lines: string[] = [];
  const model = r.model ? `${r.model.name} ${r.model.version}` : 'unknown model';
  lines.push(`inferq eval: ${r.images} images, ${model}, concurrency ${r.concurrency}`, '');
  const l = r.latency_ms;
  lines.push(
    table([
      ['  metric', 'value'],
      ['  top-1 accuracy', `${pct(r.top1)}  (${r.top1_correct}/${r.images})`],
      ['  top-5 accuracy', `${pct(r.top5)}  (${r.top5_correct}/${r.images})`],
      ['  errors', String(r.errors)],
      ['  latency p50', formatMs(l.p50)],
      ['  latency p95', formatMs(l.p95)],
      ['  latency p99', formatMs(l.p99)],
      ['  latency mean', formatMs(l.mean)],
      ['  throughput', `${r.throughput_ips.toFixed(2)} images/s  (${r.images} in ${r.elapsed_s.toFixed(1)} s)`],
    ]),
  );
  if (r.label_set) lines.push('', ...formatLabelSetScore(r.label_set));
  if (r.dataset.missing.length) lines.push('', `  ${r.dataset.missing.length} labelled file(s) missing from the folder (skipped)`);
  const perClass = Math.max(0, ...r.worst_classes.map((c) => c.images));
  if (perClass > 1 && r.worst_classes.length > 0) {
    lines.push('', `Worst classes (${Math.min(maxRows, r.worst_classes.length)} of ${r.worst_classes.length} with mistakes):`);
    const rows = [['  class', 'wrong', 'error rate', 'predicted as']];
    for (const c of r.worst_classes.slice(0, maxRows)) {
      rows.push([
        `  ${c.label ?? '?'} (${c.class_index})`,
        `${c.misclassified}/${c.images}`,
        pct(c.error_rate),
        [...new Set(c.predicted_as)].slice(0, 3).join(', '),
      ]);
    }
    lines.push(table(rows));
  }
  if (r.misclassified.length > 0) {
    lines.push('', `Misclassified (${Math.min(maxRows, r.misclassified.length)} of ${r.misclassified.length}, most confident first):`);
    const rows = [['  file', 'expected', 'predicted', 'confidence', 'in top-5']];
    for (const m of r.misclassified.slice(0, maxRows)) {
      rows.push([
        `  ${m.file}`,
        `${m.expected.label ?? '?'} (${m.expected.class_index})`,
        m.predicted ? `${m.predicted.label} (${m.predicted.class_id})` : `error: ${m.error ?? '?'}`,
        m.predicted ? m.predicted.confidence.toFixed(3) : '-',
        m.in_top5 ? 'yes' : 'no',
      ]);
    }
    lines.push(table(rows));
  } else if (r.images > 0) {
    lines.push('', 'No misclassified images.');
  }
  return lines.join('\n') + '\n';
}
