/**
 * Step 1 of `inferq batch`: read the options, find the images and the names they are uploaded under, and decide
 * from the state file whether this run resumes a batch or starts one.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ResultsFormat } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { IMAGE_EXTENSIONS, uploadNames, walkImages } from '../../files.js';
import { MAX_FILES_PER_REQUEST, intOption, parseMetadataOption, resultsFormat, str, type OptionValues } from '../../options.js';
import { cacheDir, decideResume, inputsDigest, inputsKey, readState, stateFilePath, type ResumeDecision } from './state.js';

export interface BatchOptions {
  outArg: string | undefined;
  /** Absolute; null: the results go to stdout. */
  outPath: string | null;
  format: ResultsFormat;
  concurrency: number;
  chunk: number;
  /** --chunk was given (a resumed batch keeps its own chunk size, and says so). */
  chunkGiven: boolean;
  topK: number | null;
  timeoutS: number | undefined;
  model: string | null;
  metadata: Record<string, unknown> | undefined;
  webhookUrl: string | undefined;
  resume: boolean;
  fresh: boolean;
}

export interface BatchPlan {
  opts: BatchOptions;
  /** Absolute paths, sorted: the input order of the results. */
  files: string[];
  /** The upload name of each file (its path below the common folder). */
  names: string[];
  sizes: number[];
  digest: string;
  statePath: string;
  decision: Exclude<ResumeDecision, { action: 'error' }>;
}

export function batchOptions(ctx: Ctx, values: OptionValues): BatchOptions {
  const outArg = str(values, 'out');
  return {
    outArg,
    outPath: outArg ? path.resolve(ctx.cwd, outArg) : null,
    format: resultsFormat(str(values, 'format'), outArg),
    concurrency: intOption(values, 'concurrency', { min: 1, max: 64, def: 4 })!,
    chunk: intOption(values, 'chunk', { min: 1, max: MAX_FILES_PER_REQUEST, def: 50 })!,
    chunkGiven: str(values, 'chunk') !== undefined,
    topK: intOption(values, 'top-k', { min: 1, max: 20 }) ?? null,
    timeoutS: intOption(values, 'timeout', { min: 1, max: 30 * 86_400 }),
    model: str(values, 'model') ?? null,
    metadata: parseMetadataOption(str(values, 'metadata')),
    webhookUrl: str(values, 'webhook'),
    resume: values.resume === true,
    fresh: values.fresh === true,
  };
}

export async function planBatch(ctx: Ctx, opts: BatchOptions, inputs: string[]): Promise<BatchPlan> {
  if (opts.outPath) {
    const dir = path.dirname(opts.outPath);
    const st = await fsp.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new CliError(`cannot write ${opts.outArg}: no folder ${dir}`);
  }
  const files = await walkImages(inputs, ctx.cwd);
  if (files.length === 0) throw new CliError(`no images (${IMAGE_EXTENSIONS.join(' ')}) found in ${inputs.join(' ')}`);
  const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(f)).size));
  const digest = inputsDigest(files.map((f, i) => ({ path: f, size: sizes[i]! })));
  const cache = cacheDir(ctx.env);
  const statePath = stateFilePath(opts.outPath, cache, inputsKey(inputs.map((p) => path.resolve(ctx.cwd, p))));
  if (!opts.outPath) await fsp.mkdir(cache, { recursive: true });

  const read = await readState(statePath);
  if (read.note) ctx.err(`inferq: ${read.note}\n`);
  const decision = decideResume(
    read.state,
    { url: ctx.url, model: opts.model, topK: opts.topK, inputs: digest },
    { resume: opts.resume, fresh: opts.fresh },
    statePath,
  );
  if (decision.action === 'error') throw new CliError(decision.message);
  return { opts, files, names: uploadNames(files), sizes, digest, statePath, decision };
}
