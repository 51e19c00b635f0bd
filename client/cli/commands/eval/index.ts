/** `inferq eval DIR --labels labels.csv`: accuracy, latency and throughput on a labelled image set. */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferqError, isTerminalStatus } from '../../../inferq-client.js';
import { groupOfClass, scoreLabelSet, type LabelSetInfo } from './label-set.js';
import type { Command, Ctx } from '../../context.js';
import { parseLabels, type LabelledImage } from '../../csv.js';
import { CliError, EXIT, Interrupted, UsageError, isAbort } from '../../errors.js';
import { readImage } from '../../files.js';
import { pct } from '../../format.js';
import { MODEL_OPTION, intOption, str, type OptionValues } from '../../options.js';
import { runPool } from '../../pool.js';
import { Progress } from '../../progress.js';
import { buildEvalReport, formatEvalReport, round, type EvalItemResult } from './report.js';

/** The model's label set of that name (the served default model when none is named), or a clear error. */
async function findLabelSet(ctx: Ctx, model: string | undefined, name: string): Promise<LabelSetInfo> {
  const info = model ? await ctx.client.getModel(model, { signal: ctx.signal }) : await ctx.client.info({ signal: ctx.signal });
  const set = info.label_sets.find((s) => s.name === name);
  if (set) return set;
  const known = info.label_sets.map((s) => s.name).join(', ') || 'none';
  throw new CliError(`model ${info.name} has no label set ${name} (it has: ${known})`);
}

async function cmdEval(ctx: Ctx, values: OptionValues, dirArg: string): Promise<number> {
  const labelsArg = str(values, 'labels');
  if (!labelsArg) throw new UsageError('--labels FILE is required', 'eval');
  const concurrency = intOption(values, 'concurrency', { min: 1, max: 256, def: 8 })!;
  const limit = intOption(values, 'limit', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const model = str(values, 'model');
  const outArg = str(values, 'out');
  const dir = path.resolve(ctx.cwd, dirArg);
  const labelsPath = path.resolve(ctx.cwd, labelsArg);
  const dirStat = await fsp.stat(dir).catch(() => null);
  if (!dirStat?.isDirectory()) throw new CliError(`no such folder: ${dirArg}`);
  const text = await fsp.readFile(labelsPath, 'utf8').catch(() => {
    throw new CliError(`cannot read the labels file ${labelsArg}`);
  });
  let labelled = parseLabels(text, labelsArg);
  if (limit !== undefined) labelled = labelled.slice(0, limit);
  const missing: string[] = [];
  const present: LabelledImage[] = [];
  for (const l of labelled) {
    const st = await fsp.stat(path.resolve(dir, l.file)).catch(() => null);
    if (st?.isFile()) present.push(l);
    else missing.push(l.file);
  }
  if (missing.length) ctx.err(`inferq: ${missing.length} labelled file(s) not found in ${dirArg}, skipped (first: ${missing[0]})\n`);
  if (present.length === 0) throw new CliError(`none of the ${labelled.length} files of ${labelsArg} is in ${dirArg}`);

  const labelSetName = str(values, 'label-set');
  const labelSet = labelSetName ? await findLabelSet(ctx, model, labelSetName) : undefined;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const results: EvalItemResult[] = new Array(present.length);
  let modelRef: { name: string; version: string } | null = null;
  let correct = 0;
  let done = 0;
  const bar = new Progress(ctx.stderr, 'eval', '{value}/{total} images | top-1 {acc} | ETA {eta_formatted}', (v, t, p) => `${v}/${t} images, top-1 ${String(p.acc)}`);
  bar.start(present.length, 0, { acc: '-' });
  try {
    await runPool(
      present,
      concurrency,
      async (l, i) => {
        const image = await readImage(path.resolve(dir, l.file));
        const base: Omit<EvalItemResult, 'status' | 'job_id' | 'latency_ms' | 'predicted' | 'top5' | 'top1_correct' | 'top5_correct' | 'error'> = {
          file: l.file,
          class_index: l.classIndex,
          label: l.label,
        };
        const t = performance.now();
        try {
          let job = await ctx.client.submitJob(image, { model, topK: 5, wait: 60, labelSet: labelSetName, signal: ctx.signal });
          if (!isTerminalStatus(job.status)) job = await ctx.client.waitForJob(job.id, { timeoutMs: 300_000, pollMs: 100, signal: ctx.signal });
          const latency = performance.now() - t;
          modelRef ??= job.model;
          const preds = (job.result?.predictions ?? []).slice(0, 5).map((p) => ({ class_id: p.class_id, label: p.label, confidence: p.confidence }));
          const top1 = job.status === 'succeeded' && preds[0]?.class_id === l.classIndex;
          results[i] = {
            ...base,
            job_id: job.id,
            status: job.status,
            latency_ms: job.status === 'succeeded' ? round(latency, 2) : null,
            predicted: preds[0] ?? null,
            top5: preds,
            top1_correct: top1,
            top5_correct: job.status === 'succeeded' && preds.some((p) => p.class_id === l.classIndex),
            error: job.error ? job.error.code : job.status === 'succeeded' ? null : job.status,
            ...(labelSet ? { label_set: { expected: groupOfClass(labelSet, l.classIndex), predicted: job.result?.label_set?.prediction ?? null } } : {}),
          };
          if (top1) correct++;
        } catch (err) {
          if (isAbort(err, ctx.signal)) throw err;
          // A refused upload is a wrong answer for this image; an unreachable server ends the run.
          if (err instanceof InferqError && (err.status === 0 || err.status === 404 || err.status === 401 || err.status === 403)) throw err;
          results[i] = {
            ...base,
            job_id: err instanceof InferqError ? err.jobId : null,
            status: 'error',
            latency_ms: null,
            predicted: null,
            top5: [],
            top1_correct: false,
            top5_correct: false,
            error: err instanceof InferqError ? err.code : String(err),
            ...(labelSet ? { label_set: { expected: groupOfClass(labelSet, l.classIndex), predicted: null } } : {}),
          };
        }
        done++;
        bar.update(done, { acc: pct(correct / done) });
      },
      () => Boolean(ctx.signal?.aborted),
    );
  } finally {
    bar.stop();
  }
  if (ctx.signal?.aborted) throw new Interrupted();
  const report = buildEvalReport(results, {
    url: ctx.url,
    dir,
    labels: labelsPath,
    missing,
    startedAt,
    elapsedS: (performance.now() - t0) / 1000,
    concurrency,
    model: modelRef,
  });
  if (labelSet) report.label_set = scoreLabelSet(labelSet.name, results.map((r) => r.label_set!));
  if (outArg) {
    const outPath = path.resolve(ctx.cwd, outArg);
    await fsp.writeFile(outPath, JSON.stringify(report, null, 2) + '\n');
  }
  ctx.out(ctx.json ? JSON.stringify(report, null, 2) + '\n' : formatEvalReport(report));
  if (outArg && !ctx.json) ctx.err(`inferq: report written to ${outArg}\n`);
  return report.errors > 0 ? EXIT.itemsFailed : EXIT.ok;
}

export const evalCommand: Command = {
  run: (ctx, values, [dir]) => cmdEval(ctx, values, dir!),
  spec: {
    name: 'eval',
    summary: 'measure accuracy, latency and throughput on a labelled image set',
    usage: 'inferq eval DIR --labels labels.csv [--out report.json] [--concurrency N] [--model M] [--label-set NAME]',
    details: [
      'labels.csv has a header with the columns file,class_index (and optionally wnid,label); class_index is the',
      "model's output index. Every image goes through POST /v1/jobs with Prefer: wait=60 and top_k 5, N in flight.",
      'Latency is measured per image from the start of the upload to the result. Images that fail count as wrong.',
      'Prints a table (or the JSON report with --json) and writes the JSON report to --out.',
      "With --label-set NAME (e.g. cats-vs-dogs) each image is also answered in that label set of the model, and the",
      "report adds the accuracy in the set's classes (each class_index mapped to its group, or other) with a confusion table.",
      'Exit: 0 done; 2 some images could not be classified; 1 the evaluation could not run.',
    ].join('\n'),
    options: {
      labels: { type: 'string', short: 'l', arg: 'CSV', help: 'labels file (file,class_index,wnid,label)' },
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the JSON report here' },
      concurrency: { type: 'string', short: 'c', arg: 'N', help: 'requests in flight (default 8)' },
      model: MODEL_OPTION,
      limit: { type: 'string', arg: 'N', help: 'only the first N labelled images' },
      'label-set': { type: 'string', arg: 'NAME', help: "also score in a label set of the model's (e.g. cats-vs-dogs)" },
    },
    positionals: { min: 1, max: 1, missing: 'name the folder of labelled images' },
    examples: [
      'inferq eval ../shared/eval/imagenet-sample --labels ../shared/eval/imagenet-sample/labels.csv',
      'inferq eval set/ --labels set/labels.csv --out report.json --concurrency 16',
      'inferq eval ../shared/eval/imagenet-sample --labels ../shared/eval/imagenet-sample/labels.csv --label-set cats-vs-dogs',
    ],
  },
};
