/**
 * `inferq`: the command line of the inferq API. Run through client/bin/inferq.js (`npx inferq ...`); `main` takes
 * the arguments and returns the exit code, and everything else exported here is a pure helper the unit tests
 * exercise (argument parsing, folder walking, chunking, resume decisions, CSV and percentile math).
 *
 * Exit codes: 0 done; 1 error (the server refused or could not be reached, an upload was not recovered, the batch
 * was canceled); 2 the run finished but some items failed (batch items, submitted jobs, eval images); 64 usage
 * error; 130 interrupted (Ctrl-C; a batch can be resumed by running the same command again).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { CLIENT_VERSION, InferqClient, InferqError, isTerminalStatus, type ImageInput } from './inferq-client.js';
import type { Batch, Job, JobStatus, Model, Prediction, ResultsFormat, WebhookEvent } from './types.js';
import { formatLabelSetScore, groupOfClass, scoreLabelSet, type LabelSetInfo, type LabelSetScore } from './eval-label-set.js';

// ---------------------------------------------------------------------------------------------------------------
// Constants and errors

export const DEFAULT_URL = 'http://localhost:8080';
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];
/** The server's MAX_BATCH_FILES_PER_REQUEST: `--chunk` may not exceed it. */
export const MAX_FILES_PER_REQUEST = 100;
export const EXIT = { ok: 0, error: 1, itemsFailed: 2, usage: 64, interrupted: 130 } as const;

/** Bad arguments: printed with a pointer to `--help`, exit 64. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI explains itself (no stack, no HTTP details beyond the message). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Argument parsing (node:util parseArgs)

interface OptSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help. */
  arg?: string;
  help: string;
}

interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  details?: string;
  options: Record<string, OptSpec>;
  positionals: { min: number; max: number; missing?: string };
  examples: string[];
}

const GLOBAL_OPTIONS: Record<string, OptSpec> = {
  url: { type: 'string', arg: 'URL', help: `API base URL (env INFERQ_URL; default ${DEFAULT_URL})` },
  'api-key': { type: 'string', arg: 'KEY', help: 'API key, sent as "Authorization: Bearer KEY" (env INFERQ_API_KEY)' },
  json: { type: 'boolean', help: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  version: { type: 'boolean', help: 'print the version' },
};

const COMMANDS: Record<string, CommandSpec> = {
  submit: {
    name: 'submit',
    summary: 'submit images as jobs; print their ids, or with --wait their predictions',
    usage: 'inferq submit FILE... [--wait] [--top-k N] [--model M] [--webhook URL] [--metadata JSON]',
    options: {
      wait: { type: 'boolean', short: 'w', help: 'wait for each job to end and print its top predictions' },
      'top-k': { type: 'string', short: 'k', arg: 'N', help: 'predictions per image, 1..20 (server default 5)' },
      model: { type: 'string', short: 'm', arg: 'M', help: 'model name (server default when omitted)' },
      webhook: { type: 'string', arg: 'URL', help: 'webhook URL notified when each job ends' },
      'webhook-events': { type: 'string', arg: 'LIST', help: 'comma-separated webhook events (default job.completed)' },
      metadata: { type: 'string', arg: 'JSON', help: 'a JSON object echoed back on each job (at most 2 KiB)' },
      priority: { type: 'string', arg: 'N', help: 'queue priority 0..10, higher runs sooner (default 5)' },
      'idempotency-key': { type: 'string', arg: 'KEY', help: 'Idempotency-Key (":<index>" is appended with several files)' },
      concurrency: { type: 'string', short: 'c', arg: 'N', help: 'uploads in flight (default 4)' },
      timeout: { type: 'string', arg: 'SECONDS', help: 'with --wait: give up waiting for a job after this long (default 300)' },
    },
    positionals: { min: 1, max: Infinity, missing: 'name at least one image file' },
    examples: ['inferq submit dog.jpg', 'inferq submit --wait --top-k 3 photos/*.jpg', 'inferq submit cat.png --metadata \'{"user":"u1"}\' --json'],
  },
  status: {
    name: 'status',
    summary: 'show a job (job_...) or a batch (bat_...)',
    usage: 'inferq status ID',
    options: {},
    positionals: { min: 1, max: 1, missing: 'name a job id (job_...) or batch id (bat_...)' },
    examples: ['inferq status job_01JABCDEFGHJKMNPQRSTVWXYZ0', 'inferq status bat_01JABCDEFGHJKMNPQRSTVWXYZ0 --json'],
  },
  cancel: {
    name: 'cancel',
    summary: 'cancel a queued job, or every not-yet-started item of a batch',
    usage: 'inferq cancel ID',
    details: 'Only a queued job can be canceled; a job that is processing or has ended is refused (exit 1).',
    options: {},
    positionals: { min: 1, max: 1, missing: 'name a job id (job_...) or batch id (bat_...)' },
    examples: ['inferq cancel job_01JABCDEFGHJKMNPQRSTVWXYZ0'],
  },
  models: {
    name: 'models',
    summary: 'list the served models',
    usage: 'inferq models [NAME]',
    options: {},
    positionals: { min: 0, max: 1 },
    examples: ['inferq models', 'inferq models mobilenetv2 --json'],
  },
  batch: {
    name: 'batch',
    summary: 'classify folders of images as one batch, with progress, resumable',
    usage: 'inferq batch PATH... [--out FILE] [--format jsonl|csv] [--concurrency N] [--chunk N] [--model M] [--top-k N] [--resume]',
    details: [
      'Walks the folders recursively for .jpg .jpeg .png .webp files (any case; hidden files and folders are',
      'skipped), opens a batch, uploads the images in chunks with several requests in flight, seals the batch,',
      'follows its progress and streams the results to --out (default: stdout). A summary goes to stderr.',
      '',
      'Resumable: a state file (<out>.inferq-batch.json, or .inferq-batch-state.json in the current folder when',
      'writing to stdout) records the batch id and the uploaded chunks. Running the same command again continues',
      'the same batch (automatically when the inputs match; --resume insists on it, --fresh ignores the state).',
      'Each chunk carries the Idempotency-Key "<batch id>:<chunk index>", so a retried chunk is not added twice.',
      'Files the server refuses (not an image, too large, unreadable) are listed and do not stop the batch.',
      '',
      'Exit: 0 all items succeeded; 2 some items failed or were refused; 1 the batch could not be completed.',
    ].join('\n'),
    options: {
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the results here (default stdout)' },
      format: { type: 'string', short: 'f', arg: 'FMT', help: 'jsonl or csv (default: csv when FILE ends in .csv, else jsonl)' },
      concurrency: { type: 'string', short: 'c', arg: 'N', help: 'upload requests in flight (default 4)' },
      chunk: { type: 'string', arg: 'N', help: `images per upload request, 1..${MAX_FILES_PER_REQUEST} (default 50)` },
      model: { type: 'string', short: 'm', arg: 'M', help: 'model name (server default when omitted)' },
      'top-k': { type: 'string', short: 'k', arg: 'N', help: 'predictions per image, 1..20 (server default 5)' },
      webhook: { type: 'string', arg: 'URL', help: 'webhook URL of the batch' },
      metadata: { type: 'string', arg: 'JSON', help: 'a JSON object echoed back on the batch' },
      resume: { type: 'boolean', help: 'continue the batch of the state file (an error when it does not match)' },
      fresh: { type: 'boolean', help: 'ignore any state file and start a new batch' },
      timeout: { type: 'string', arg: 'SECONDS', help: 'give up waiting for processing after this long (default: no limit)' },
    },
    positionals: { min: 1, max: Infinity, missing: 'name at least one image file or folder' },
    examples: [
      'inferq batch ../shared/eval/imagenet-sample --out r.jsonl',
      'inferq batch photos/ more/ --out results.csv --concurrency 8 --chunk 100',
      'inferq batch photos/ --out r.jsonl --resume',
    ],
  },
  eval: {
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
      model: { type: 'string', short: 'm', arg: 'M', help: 'model name (server default when omitted)' },
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
  'webhook-secret': {
    name: 'webhook-secret',
    summary: 'print the webhook signing secret (operators: needs the admin token)',
    usage: 'inferq webhook-secret --admin-token TOKEN',
    options: {
      'admin-token': { type: 'string', arg: 'TOKEN', help: 'the ADMIN_TOKEN of the server (env INFERQ_ADMIN_TOKEN)' },
    },
    positionals: { min: 0, max: 0 },
    examples: ['INFERQ_ADMIN_TOKEN=... inferq webhook-secret'],
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

export type OptionValues = Record<string, string | boolean | undefined>;

export interface ParsedCli {
  /** A command name, `help` (general help) or `version`. */
  command: string;
  values: OptionValues;
  positionals: string[];
  /** Show the help of `command` instead of running it. */
  help: boolean;
}

function parseWith(args: string[], options: Record<string, OptSpec>, command?: string): { values: OptionValues; positionals: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(options)) config[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  try {
    const { values, positionals } = parseArgs({ args, options: config, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err);
    throw new UsageError(msg, command);
  }
}

/** Closest command name (edit distance ≤ 2), for "did you mean". */
function suggest(name: string): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const c of COMMAND_NAMES) {
    const d = editDistance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * Splits argv into the command, its options (global options may come before or after the command) and its
 * positionals. Throws `UsageError` for unknown commands and options, missing values and wrong positional counts.
 */
export function parseCli(argv: readonly string[]): ParsedCli {
  let cmdIndex = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (a === '--url' || a === '--api-key') i++;
      continue;
    }
    cmdIndex = i;
    break;
  }
  if (cmdIndex < 0) {
    const { values, positionals } = parseWith([...argv], GLOBAL_OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    return { command: values.version ? 'version' : 'help', values, positionals: [], help: !values.version };
  }
  const name = argv[cmdIndex]!;
  const rest = [...argv.slice(0, cmdIndex), ...argv.slice(cmdIndex + 1)];
  if (name === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
    return { command: topic ?? 'help', values: {}, positionals: [], help: true };
  }
  if (name === 'version') return { command: 'version', values: {}, positionals: [], help: false };
  const spec = COMMANDS[name];
  if (!spec) {
    const s = suggest(name);
    throw new UsageError(`unknown command ${JSON.stringify(name)}${s ? ` (did you mean "${s}"?)` : ''}`);
  }
  const { values, positionals } = parseWith(rest, { ...GLOBAL_OPTIONS, ...spec.options }, name);
  if (values.help) return { command: name, values, positionals, help: true };
  if (values.version) return { command: 'version', values, positionals: [], help: false };
  if (positionals.length < spec.positionals.min) throw new UsageError(spec.positionals.missing ?? 'missing argument', name);
  if (positionals.length > spec.positionals.max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals.max])}`, name);
  }
  return { command: name, values, positionals, help: false };
}

function wrapOptions(options: Record<string, OptSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

/** The help text of one command, or the general help (`command` undefined or `help`). */
export function helpText(command?: string): string {
  const spec = command ? COMMANDS[command] : undefined;
  if (!spec) {
    const width = Math.max(...COMMAND_NAMES.map((c) => c.length));
    return [
      `inferq ${CLIENT_VERSION}: the command line of the inferq image-classification API`,
      '',
      'Usage: inferq COMMAND [options]',
      '',
      'Commands:',
      ...COMMAND_NAMES.map((c) => `  ${c.padEnd(width)}  ${COMMANDS[c]!.summary}`),
      '',
      'Global options:',
      ...wrapOptions(GLOBAL_OPTIONS),
      '',
      "Run 'inferq COMMAND --help' for a command's options. Docs: docs/cli.md",
      '',
    ].join('\n');
  }
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + '.',
    ...(spec.details ? ['', spec.details] : []),
    '',
    'Options:',
    ...wrapOptions({ ...spec.options, ...GLOBAL_OPTIONS }),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

const str = (v: OptionValues, name: string): string | undefined => {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
};

/** An integer option within [min, max]; `def` when absent; UsageError otherwise. */
export function intOption(values: OptionValues, name: string, opts: { min: number; max: number; def?: number }): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return opts.def;
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < opts.min || n > opts.max) throw new UsageError(`--${name} must be between ${opts.min} and ${opts.max}, got ${n}`);
  return n;
}

/** `--metadata`: a JSON object. */
export function parseMetadataOption(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new UsageError(`--metadata must be a JSON object, e.g. '{"user":"u1"}'; got ${JSON.stringify(raw)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError('--metadata must be a JSON object');
  return v as Record<string, unknown>;
}

/** `--format`, defaulting from the output file's extension. */
export function resultsFormat(format: string | undefined, out: string | undefined): ResultsFormat {
  if (format === undefined) return out && /\.csv$/i.test(out) ? 'csv' : 'jsonl';
  const f = format.toLowerCase();
  if (f === 'jsonl' || f === 'csv') return f;
  throw new UsageError(`--format must be jsonl or csv, got ${JSON.stringify(format)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Files, chunks, percentiles, CSV

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/**
 * The image files under `paths`, as absolute paths, deduplicated and sorted (byte order, so every run chunks the
 * same way). Folders are walked recursively for image extensions, skipping hidden entries and following symbolic
 * links (each real folder once); a file named explicitly is taken whatever its extension.
 */
export async function walkImages(paths: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>();
  const seenDirs = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await fsp.realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(full).catch(() => null);
        if (!st) continue; // dangling link
        isDir = st.isDirectory();
        isFile = st.isFile();
      }
      if (isDir) await walk(full);
      else if (isFile && isImageFile(e.name)) found.add(full);
    }
  };
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st: fs.Stats;
    try {
      st = await fsp.stat(abs);
    } catch {
      throw new CliError(`no such file or folder: ${p}`);
    }
    if (st.isDirectory()) await walk(abs);
    else if (st.isFile()) found.add(abs);
    else throw new CliError(`not a file or folder: ${p}`);
  }
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Splits `items` into consecutive chunks of `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

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

/** RFC 4180 CSV: quoted fields (with "" escapes, commas and line breaks inside), CRLF or LF, a leading BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export interface LabelledImage {
  file: string;
  classIndex: number;
  wnid: string | null;
  label: string | null;
  /** 1-based line of labels.csv (header is line 1), for messages. */
  line: number;
}

/** labels.csv with a header naming at least `file` and `class_index` (also `wnid`, `label` when present). */
export function parseLabels(text: string, source = 'labels.csv'): LabelledImage[] {
  const rows = parseCsv(text);
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  if (!header) throw new CliError(`${source} is empty`);
  const col = (name: string) => header.indexOf(name);
  const fileCol = col('file');
  const classCol = col('class_index');
  if (fileCol < 0 || classCol < 0) {
    throw new CliError(`${source}: the header must name the columns file and class_index (got ${header.join(',')})`);
  }
  const wnidCol = col('wnid');
  const labelCol = col('label');
  const seen = new Set<string>();
  return rows.slice(1).map((r, idx) => {
    const line = idx + 2;
    const file = r[fileCol]?.trim() ?? '';
    const ci = r[classCol]?.trim() ?? '';
    if (!file) throw new CliError(`${source}:${line}: no file name`);
    if (!/^\d+$/.test(ci)) throw new CliError(`${source}:${line}: class_index must be a whole number, got ${JSON.stringify(ci)}`);
    if (seen.has(file)) throw new CliError(`${source}:${line}: ${file} is listed twice`);
    seen.add(file);
    const opt = (c: number) => (c >= 0 && r[c] !== undefined && r[c]!.trim() !== '' ? r[c]!.trim() : null);
    return { file, classIndex: Number(ci), wnid: opt(wnidCol), label: opt(labelCol), line };
  });
}

/**
 * Runs `fn` over `items` with at most `concurrency` in flight. The first error stops new work; the others in
 * flight are awaited, then that error is thrown.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && !shouldStop() && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed) throw firstError;
}

// ---------------------------------------------------------------------------------------------------------------
// Batch state file and resume logic

export interface RejectedFile {
  file: string;
  code: string;
  message: string;
}

/** What `inferq batch` keeps next to its output so a re-run continues the same batch. */
export interface BatchState {
  version: 1;
  batch_id: string;
  url: string;
  model: string | null;
  top_k: number | null;
  /** Digest of the sorted input paths and sizes. */
  inputs: string;
  /** Files per chunk when the batch was started (kept on resume: chunk i is always the same files). */
  chunk_size: number;
  files: string[];
  uploaded_chunks: number[];
  rejected: RejectedFile[];
  sealed: boolean;
  created_at: string;
  updated_at: string;
}

/** What the current run would upload, compared with a state file. */
export interface BatchInputs {
  url: string;
  model: string | null;
  topK: number | null;
  inputs: string;
}

export type ResumeDecision =
  | { action: 'resume'; state: BatchState }
  | { action: 'fresh'; note: string | null }
  | { action: 'error'; message: string };

/** `<out>.inferq-batch.json`, or `.inferq-batch-state.json` in `cwd` when the results go to stdout. */
export function stateFilePath(out: string | null, cwd: string): string {
  return out ? `${out}.inferq-batch.json` : path.join(cwd, '.inferq-batch-state.json');
}

/** A digest of the inputs: the sorted absolute paths and their sizes. */
export function inputsDigest(files: readonly { path: string; size: number }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.size}\n`);
  return h.digest('hex');
}

export function isBatchState(x: unknown): x is BatchState {
  if (!x || typeof x !== 'object') return false;
  const s = x as Record<string, unknown>;
  return (
    s.version === 1 &&
    typeof s.batch_id === 'string' &&
    typeof s.url === 'string' &&
    typeof s.inputs === 'string' &&
    typeof s.chunk_size === 'number' &&
    Number.isInteger(s.chunk_size) &&
    (s.chunk_size as number) >= 1 &&
    Array.isArray(s.files) &&
    Array.isArray(s.uploaded_chunks) &&
    (s.uploaded_chunks as unknown[]).every((n) => Number.isInteger(n)) &&
    Array.isArray(s.rejected) &&
    typeof s.sealed === 'boolean' &&
    (s.model === null || typeof s.model === 'string') &&
    (s.top_k === null || typeof s.top_k === 'number')
  );
}

/** Where a state file differs from the current inputs (empty: it matches). */
export function stateDifferences(state: BatchState, current: BatchInputs): string[] {
  const diffs: string[] = [];
  if (state.url.replace(/\/+$/, '') !== current.url.replace(/\/+$/, '')) diffs.push(`server (${state.url} vs ${current.url})`);
  if (state.model !== current.model) diffs.push(`model (${state.model ?? 'default'} vs ${current.model ?? 'default'})`);
  if (state.top_k !== current.topK) diffs.push(`top-k (${state.top_k ?? 'default'} vs ${current.topK ?? 'default'})`);
  if (state.inputs !== current.inputs) diffs.push('input files');
  return diffs;
}

/**
 * Resume or start over: `--fresh` always starts over; a matching state file is resumed; `--resume` with no state
 * file or a different one is an error; without flags a different state file is replaced (with a note).
 */
export function decideResume(
  state: BatchState | null,
  current: BatchInputs,
  flags: { resume: boolean; fresh: boolean },
  statePath: string,
): ResumeDecision {
  if (flags.resume && flags.fresh) return { action: 'error', message: '--resume and --fresh exclude each other' };
  if (flags.fresh) return { action: 'fresh', note: state ? `--fresh: ignoring the state file ${statePath}` : null };
  if (!state) {
    if (flags.resume) return { action: 'error', message: `--resume: no usable state file at ${statePath}` };
    return { action: 'fresh', note: null };
  }
  const diffs = stateDifferences(state, current);
  if (diffs.length === 0) return { action: 'resume', state };
  const what = diffs.join(', ');
  if (flags.resume) {
    return {
      action: 'error',
      message: `--resume: the state file ${statePath} (batch ${state.batch_id}) is for other inputs: ${what} differ; run with --fresh to start a new batch`,
    };
  }
  return { action: 'fresh', note: `the state file ${statePath} (batch ${state.batch_id}) is for other inputs (${what}); starting a new batch` };
}

/** The chunk indices still to upload. */
export function pendingChunks(fileCount: number, chunkSize: number, uploaded: readonly number[]): number[] {
  const done = new Set(uploaded);
  const n = Math.ceil(fileCount / chunkSize);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !done.has(i));
}

/** The files of chunk `index`. */
export function chunkFiles<T>(files: readonly T[], chunkSize: number, index: number): T[] {
  return files.slice(index * chunkSize, (index + 1) * chunkSize);
}

/** Files already uploaded (or refused) according to the state. */
export function uploadedFileCount(fileCount: number, chunkSize: number, uploaded: readonly number[]): number {
  let n = 0;
  for (const i of new Set(uploaded)) n += Math.max(0, Math.min(chunkSize, fileCount - i * chunkSize));
  return n;
}

export async function readState(statePath: string): Promise<{ state: BatchState | null; note: string | null }> {
  let text: string;
  try {
    text = await fsp.readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: null, note: null };
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isBatchState(parsed)) return { state: parsed, note: null };
  } catch {
    // fall through
  }
  return { state: null, note: `ignoring the unreadable state file ${statePath}` };
}

/** Writes the state atomically (temp file + rename); updates are serialised. */
class StateStore {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    readonly file: string,
    readonly state: BatchState,
  ) {}

  update(fn: (s: BatchState) => void): Promise<void> {
    fn(this.state);
    this.state.updated_at = new Date().toISOString();
    const snapshot = JSON.stringify(this.state, null, 1) + '\n';
    this.chain = this.chain.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, snapshot);
      await fsp.rename(tmp, this.file);
    });
    return this.chain;
  }
}

/** How an upload failure is handled: split the chunk to isolate a bad file, retry, or stop. */
export function classifyUploadError(err: unknown): 'split' | 'transient' | 'fatal' {
  if (!(err instanceof InferqError)) return 'fatal';
  if (err.status === 0) return err.code === 'network_error' || err.code === 'timeout' ? 'transient' : 'fatal';
  const splitCodes = ['too_many_files', 'payload_too_large', 'unsupported_media_type', 'invalid_image', 'image_too_large'];
  if (splitCodes.includes(err.code) || err.status === 413 || err.status === 415) return 'split';
  if (err.code === 'malformed_multipart') return 'transient';
  if ([429, 500, 502, 503, 504, 507].includes(err.status)) return 'transient';
  return 'fatal';
}

// ---------------------------------------------------------------------------------------------------------------
// Output helpers

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdout: Out;
  stderr: Out;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborts long commands (Ctrl-C). */
  signal?: AbortSignal;
}

interface Ctx extends CliIo {
  client: InferqClient;
  url: string;
  json: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** A cli-progress bar on a TTY; otherwise a plain line every few seconds and at the end. */
class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private value = 0;
  private payload: Record<string, unknown> = {};
  private lastLine = 0;

  constructor(
    private readonly stream: Out,
    private readonly label: string,
    private readonly format: string,
    private readonly plain: (value: number, total: number, payload: Record<string, unknown>) => string,
    private readonly plainEveryMs = 5_000,
  ) {}

  start(total: number, value: number, payload: Record<string, unknown> = {}): void {
    this.total = total;
    this.value = value;
    this.payload = payload;
    if (this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `${this.label.padEnd(8)} [{bar}] {percentage}% | ${this.format}`,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 28,
          etaBuffer: 40,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, value, payload);
    } else {
      this.lastLine = Date.now();
    }
  }

  update(value: number, payload: Record<string, unknown> = {}, total?: number): void {
    this.value = value;
    this.payload = { ...this.payload, ...payload };
    if (total !== undefined) this.total = total;
    if (this.bar) {
      if (total !== undefined) this.bar.setTotal(total);
      this.bar.update(value, this.payload);
    } else if (Date.now() - this.lastLine >= this.plainEveryMs) {
      this.lastLine = Date.now();
      this.stream.write(`inferq: ${this.label} ${this.plain(this.value, this.total, this.payload)}\n`);
    }
  }

  increment(n: number, payload: Record<string, unknown> = {}): void {
    this.update(this.value + n, payload);
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    } else {
      this.stream.write(`inferq: ${this.label} ${this.plain(this.value, this.total, this.payload)}\n`);
    }
  }
}

async function readImage(file: string): Promise<ImageInput> {
  return { data: await fsp.readFile(file), filename: path.basename(file) };
}

function describeError(err: unknown): string {
  if (err instanceof InferqError) {
    const where = err.status ? ` (HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''})` : '';
    return `${err.code}: ${err.message}${where}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err instanceof Error && (err.name === 'AbortError' || err.name === 'InterruptError'));
}

async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

function formatPredictions(preds: readonly Prediction[], indent = '    '): string[] {
  const width = Math.max(0, ...preds.map((p) => p.label.length));
  return preds.map((p) => `${indent}${p.label.padEnd(width)}  ${(p.confidence * 100).toFixed(2).padStart(6)}%  (class ${p.class_id})`);
}

async function cmdSubmit(ctx: Ctx, values: OptionValues, files: string[]): Promise<number> {
  const wait = values.wait === true;
  const topK = intOption(values, 'top-k', { min: 1, max: 20 });
  const priority = intOption(values, 'priority', { min: 0, max: 10 });
  const concurrency = intOption(values, 'concurrency', { min: 1, max: 64, def: 4 })!;
  const timeoutS = intOption(values, 'timeout', { min: 1, max: 86_400, def: 300 })!;
  const metadata = parseMetadataOption(str(values, 'metadata'));
  const events = str(values, 'webhook-events');
  const key = str(values, 'idempotency-key');
  if (events !== undefined && str(values, 'webhook') === undefined) throw new UsageError('--webhook-events needs --webhook', 'submit');

  let submitErrors = 0;
  let jobsFailed = 0;
  // Print in input order whatever order the uploads finish in.
  const lines: (string | undefined)[] = [];
  let printed = 0;
  const emit = (i: number, text: string) => {
    lines[i] = text;
    while (printed < files.length && lines[printed] !== undefined) ctx.out(lines[printed++]!);
  };

  await runPool(files, concurrency, async (file, i) => {
    const name = path.basename(file);
    try {
      const image = await readImage(path.resolve(ctx.cwd, file)).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${file}: ${err.code ?? err.message}`);
      });
      let job = await ctx.client.submitJob(image, {
        model: str(values, 'model'),
        topK,
        metadata,
        priority,
        webhookUrl: str(values, 'webhook'),
        webhookEvents: events as WebhookEvent[] | string | undefined,
        idempotencyKey: key === undefined ? undefined : files.length > 1 ? `${key}:${i}` : key,
        wait: wait ? 60 : undefined,
        signal: ctx.signal,
      });
      if (wait && !isTerminalStatus(job.status)) {
        job = await ctx.client.followJob(job.id, { timeoutMs: timeoutS * 1000, pollMs: 250, signal: ctx.signal });
      }
      if (wait && job.status !== 'succeeded') jobsFailed++;
      if (ctx.json) {
        emit(i, JSON.stringify({ file, ...job }) + '\n');
      } else if (!wait) {
        emit(i, `${name}  ${job.id}  ${job.status}\n`);
      } else {
        const head = `${name}  ${job.id}  ${job.status}${job.timings ? `  (${formatMs(job.timings.total_ms)})` : ''}`;
        const body =
          job.status === 'succeeded'
            ? formatPredictions(job.result?.predictions ?? [])
            : [`    ${job.error ? `${job.error.code}: ${job.error.message}` : job.status}`];
        emit(i, [head, ...body].join('\n') + '\n');
      }
    } catch (err) {
      if (isAbort(err, ctx.signal)) throw err;
      submitErrors++;
      ctx.err(`inferq: ${file}: ${describeError(err)}\n`);
      emit(i, '');
    }
  });
  if (submitErrors > 0) return EXIT.error;
  return jobsFailed > 0 ? EXIT.itemsFailed : EXIT.ok;
}

function describeJob(job: Job): string {
  const rows: string[][] = [['model', `${job.model.name} ${job.model.version}`]];
  const inp = job.input;
  if (inp) rows.push(['input', `${inp.filename ?? '(no name)'}  ${inp.content_type} ${inp.width}x${inp.height}, ${formatBytes(inp.bytes)}`]);
  rows.push(['created', job.created_at]);
  if (job.started_at) rows.push(['started', job.started_at]);
  if (job.completed_at) rows.push(['completed', job.completed_at]);
  if (job.timings) {
    const t = job.timings;
    rows.push([
      'timings',
      `queue ${formatMs(t.queue_ms)}, preprocess ${formatMs(t.preprocess_ms)}, inference ${formatMs(t.inference_ms)}, total ${formatMs(t.total_ms)} (batch of ${t.batch_size})`,
    ]);
  }
  if (job.error) rows.push(['error', `${job.error.code}: ${job.error.message}`]);
  if (job.batch_id) rows.push(['batch', job.batch_id]);
  if (job.metadata && Object.keys(job.metadata).length > 0) rows.push(['metadata', JSON.stringify(job.metadata)]);
  if (job.webhook) rows.push(['webhook', `${job.webhook.url} (${job.webhook.deliveries.length} deliveries)`]);
  const lines = [`${job.id}  ${job.status}`, table(rows.map((r) => ['  ' + r[0]!, r[1]!]))];
  if (job.result?.predictions.length) lines.push('  predictions', ...formatPredictions(job.result.predictions));
  return lines.join('\n') + '\n';
}

function describeBatch(b: Batch): string {
  const c = b.counts;
  const rows = [
    ['model', `${b.model.name} ${b.model.version}`],
    ['items', `${c.total} total: ${c.queued} queued, ${c.processing} processing, ${c.succeeded} succeeded, ${c.failed} failed, ${c.canceled} canceled`],
    ['progress', `${pct(b.progress)}${b.eta_seconds !== null && b.status === 'processing' ? `, eta ${formatDuration(b.eta_seconds)}` : ''}`],
    ['created', b.created_at],
  ];
  if (b.completed_at) rows.push(['completed', b.completed_at]);
  if (b.metadata && Object.keys(b.metadata).length > 0) rows.push(['metadata', JSON.stringify(b.metadata)]);
  return `${b.id}  ${b.status}\n${table(rows.map((r) => ['  ' + r[0]!, r[1]!]))}\n`;
}

async function cmdStatus(ctx: Ctx, id: string): Promise<number> {
  if (id.startsWith('bat_')) {
    const b = await ctx.client.getBatch(id, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(b, null, 2) + '\n' : describeBatch(b));
  } else {
    const job = await ctx.client.getJob(id, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(job, null, 2) + '\n' : describeJob(job));
  }
  return EXIT.ok;
}

async function cmdCancel(ctx: Ctx, id: string): Promise<number> {
  const isBatch = id.startsWith('bat_');
  try {
    if (isBatch) {
      const b = await ctx.client.cancelBatch(id, { signal: ctx.signal });
      ctx.out(ctx.json ? JSON.stringify(b, null, 2) + '\n' : `canceled batch ${b.id}: ${b.counts.canceled} of ${b.counts.total} items canceled\n`);
    } else {
      const job = await ctx.client.cancelJob(id, { signal: ctx.signal });
      ctx.out(ctx.json ? JSON.stringify(job, null, 2) + '\n' : `canceled ${job.id}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof InferqError && err.status === 409) {
      let why = err.message;
      if (!isBatch && err.code === 'not_cancelable') {
        const job = await ctx.client.getJob(id, { signal: ctx.signal }).catch(() => null);
        if (job && isTerminalStatus(job.status)) why = `it has already ended (${job.status}); only queued jobs can be canceled`;
        else if (job?.status === 'processing') why = 'it is already processing; only queued jobs can be canceled';
      }
      throw new CliError(`cannot cancel ${id}: ${why}`);
    }
    throw err;
  }
}

async function cmdModels(ctx: Ctx, name: string | undefined): Promise<number> {
  if (name !== undefined) {
    const m = await ctx.client.getModel(name, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(m, null, 2) + '\n' : describeModel(m));
    return EXIT.ok;
  }
  const list = await ctx.client.listModels({ signal: ctx.signal });
  if (ctx.json) {
    ctx.out(JSON.stringify(list, null, 2) + '\n');
    return EXIT.ok;
  }
  const rows = [['NAME', 'VERSION', 'DEFAULT', 'CLASSES', 'INPUT', 'BATCHING', 'DESCRIPTION']];
  for (const m of list.data) {
    rows.push([
      m.name,
      m.version,
      m.default ? 'yes' : '',
      String(m.labels_count),
      `${m.input.layout} ${m.input.shape.join('x')}`,
      `${m.batching.max_batch_size} / ${m.batching.max_delay_ms} ms`,
      m.description ?? '',
    ]);
  }
  ctx.out(table(rows) + '\n');
  return EXIT.ok;
}

function describeModel(m: Model): string {
  const p = m.preprocessing;
  const rows = [
    ['version', m.version],
    ['default', m.default ? 'yes' : 'no'],
    ['task', m.task],
    ['description', m.description ?? '-'],
    ['input', `${m.input.name} ${m.input.dtype} ${m.input.layout} [${m.input.shape.join(', ')}]`],
    ['output', `${m.output.name} ${m.output.kind}, ${m.output.num_classes} classes`],
    ['preprocessing', `resize ${p.resize}, crop ${p.crop}, ${p.channel_order}, scale ${p.scale}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`],
    ['batching', `max ${m.batching.max_batch_size} images, max delay ${m.batching.max_delay_ms} ms`],
    ['sha256', m.sha256],
    ['source', m.source ?? '-'],
    ['license', m.license ?? '-'],
  ];
  return `${m.name}\n${table(rows.map((r) => ['  ' + r[0]!, r[1]!]))}\n`;
}

async function cmdWebhookSecret(ctx: Ctx, values: OptionValues): Promise<number> {
  const token = str(values, 'admin-token') ?? ctx.env.INFERQ_ADMIN_TOKEN;
  if (!token) throw new UsageError('give the admin token with --admin-token or INFERQ_ADMIN_TOKEN', 'webhook-secret');
  const s = await ctx.client.webhookSecret(token, { signal: ctx.signal });
  ctx.out(ctx.json ? JSON.stringify(s) + '\n' : `${s.secret}\n`);
  return EXIT.ok;
}

// ---- batch ----

export interface ResultTally {
  lines: number;
  byStatus: Record<string, number>;
  failed: { filename: string | null; status: string; error_code: string | null }[];
}

/** Counts result lines by status (JSONL objects, or CSV rows after the header), keeping the failed ones. */
export function tallyResults(lines: readonly string[], format: ResultsFormat): ResultTally {
  const tally: ResultTally = { lines: 0, byStatus: {}, failed: [] };
  let header: string[] | null = null;
  for (const line of lines) {
    let status: string | undefined;
    let filename: string | null = null;
    let errorCode: string | null = null;
    if (format === 'jsonl') {
      try {
        const o = JSON.parse(line) as { status?: unknown; filename?: unknown; error_code?: unknown };
        status = typeof o.status === 'string' ? o.status : undefined;
        filename = typeof o.filename === 'string' ? o.filename : null;
        errorCode = typeof o.error_code === 'string' ? o.error_code : null;
      } catch {
        status = undefined;
      }
    } else {
      const row = parseCsv(line)[0] ?? [];
      if (!header) {
        header = row.map((h) => h.trim().toLowerCase());
        continue;
      }
      const get = (name: string) => {
        const i = header!.indexOf(name);
        return i >= 0 && row[i] !== undefined && row[i] !== '' ? row[i]! : null;
      };
      status = get('status') ?? undefined;
      filename = get('filename');
      errorCode = get('error_code');
    }
    tally.lines++;
    const s = status ?? 'unknown';
    tally.byStatus[s] = (tally.byStatus[s] ?? 0) + 1;
    if (s !== 'succeeded') tally.failed.push({ filename, status: s, error_code: errorCode });
  }
  return tally;
}

interface BatchSummary {
  batch_id: string;
  status: string;
  total: number;
  succeeded: number;
  failed: number;
  canceled: number;
  rejected: number;
  result_lines: number;
  elapsed_s: number;
  images_per_s: number;
  out: string | null;
  format: ResultsFormat;
  state_file: string;
  resumed: boolean;
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptError';
  }
}

async function cmdBatch(ctx: Ctx, values: OptionValues, inputs: string[]): Promise<number> {
  const outArg = str(values, 'out');
  const format = resultsFormat(str(values, 'format'), outArg);
  const concurrency = intOption(values, 'concurrency', { min: 1, max: 64, def: 4 })!;
  const chunkOpt = intOption(values, 'chunk', { min: 1, max: MAX_FILES_PER_REQUEST, def: 50 })!;
  const topK = intOption(values, 'top-k', { min: 1, max: 20 }) ?? null;
  const timeoutS = intOption(values, 'timeout', { min: 1, max: 30 * 86_400 });
  const model = str(values, 'model') ?? null;
  const metadata = parseMetadataOption(str(values, 'metadata'));
  const webhookUrl = str(values, 'webhook');
  const started = performance.now();

  const outPath = outArg ? path.resolve(ctx.cwd, outArg) : null;
  if (outPath) {
    const dir = path.dirname(outPath);
    const st = await fsp.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new CliError(`cannot write ${outArg}: no folder ${dir}`);
  }
  const files = await walkImages(inputs, ctx.cwd);
  if (files.length === 0) throw new CliError(`no images (${IMAGE_EXTENSIONS.join(' ')}) found in ${inputs.join(' ')}`);
  const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(f)).size));
  const digest = inputsDigest(files.map((f, i) => ({ path: f, size: sizes[i]! })));
  const statePath = stateFilePath(outPath, ctx.cwd);

  const read = await readState(statePath);
  if (read.note) ctx.err(`inferq: ${read.note}\n`);
  const decision = decideResume(
    read.state,
    { url: ctx.url, model, topK, inputs: digest },
    { resume: values.resume === true, fresh: values.fresh === true },
    statePath,
  );
  if (decision.action === 'error') throw new CliError(decision.message);

  let store: StateStore | null = null;
  let batch: Batch | null = null;
  if (decision.action === 'resume') {
    const s = decision.state;
    try {
      batch = await ctx.client.getBatch(s.batch_id, { signal: ctx.signal });
    } catch (err) {
      if (!(err instanceof InferqError && err.status === 404)) throw err;
      if (values.resume === true) throw new CliError(`--resume: batch ${s.batch_id} no longer exists on the server (expired?); run with --fresh`);
      ctx.err(`inferq: batch ${s.batch_id} of ${statePath} no longer exists on the server; starting a new batch\n`);
    }
    if (batch?.status === 'canceled') {
      throw new CliError(`batch ${s.batch_id} (from ${statePath}) was canceled; run with --fresh to start a new batch`);
    }
    if (batch) {
      store = new StateStore(statePath, s);
      if (s.chunk_size !== chunkOpt && str(values, 'chunk') !== undefined) {
        ctx.err(`inferq: resuming with the batch's chunk size ${s.chunk_size} (not --chunk ${chunkOpt})\n`);
      }
      const done = uploadedFileCount(files.length, s.chunk_size, s.uploaded_chunks);
      ctx.err(`inferq: resuming batch ${s.batch_id} (${batch.status}; ${done} of ${files.length} files uploaded before)\n`);
    }
  } else if (decision.note) {
    ctx.err(`inferq: ${decision.note}\n`);
  }

  if (!store || !batch) {
    batch = await ctx.client.createBatch({
      model: model ?? undefined,
      topK: topK ?? undefined,
      webhookUrl,
      metadata,
      signal: ctx.signal,
    });
    const now = new Date().toISOString();
    store = new StateStore(statePath, {
      version: 1,
      batch_id: batch.id,
      url: ctx.url,
      model,
      top_k: topK,
      inputs: digest,
      chunk_size: chunkOpt,
      files,
      uploaded_chunks: [],
      rejected: [],
      sealed: false,
      created_at: now,
      updated_at: now,
    });
    await store.update(() => undefined);
    ctx.err(`inferq: batch ${batch.id}: ${files.length} images; state in ${path.relative(ctx.cwd, statePath) || statePath}\n`);
  }
  const state = store.state;
  const batchId = state.batch_id;

  // ---- upload ----
  if (batch.status === 'open' && !state.sealed) {
    const pending = pendingChunks(files.length, state.chunk_size, state.uploaded_chunks);
    const already = uploadedFileCount(files.length, state.chunk_size, state.uploaded_chunks);
    const upBar = new Progress(ctx.stderr, 'upload', '{value}/{total} files | {mb} MiB | ETA {eta_formatted}', (v, t) => `${v}/${t} files`);
    upBar.start(files.length, already, { mb: '0.0' });
    let bytesSent = 0;
    const sizeOf = new Map(files.map((f, i) => [f, sizes[i]!]));

    const uploadParts = async (part: string[], key: string): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        if (ctx.signal?.aborted) throw new Interrupted();
        const images: ImageInput[] = [];
        const readable: string[] = [];
        for (const f of part) {
          try {
            images.push(await readImage(f));
            readable.push(f);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? 'read_error';
            await store!.update((s) => s.rejected.push({ file: f, code: 'unreadable', message: `cannot read the file: ${code}` }));
            upBar.increment(1);
          }
        }
        if (images.length === 0) return;
        try {
          // No abort signal: on Ctrl-C the uploads in flight finish (and are recorded) rather than leaving the server
          // with images the state file does not know about.
          await ctx.client.addBatchImages(batchId, images, { idempotencyKey: key });
          for (const f of readable) bytesSent += sizeOf.get(f) ?? 0;
          upBar.increment(images.length, { mb: (bytesSent / 1024 / 1024).toFixed(1) });
          return;
        } catch (err) {
          if (isAbort(err, ctx.signal)) throw new Interrupted();
          const kind = classifyUploadError(err);
          if (kind === 'split') {
            if (readable.length === 1) {
              const e = err as InferqError;
              await store!.update((s) => s.rejected.push({ file: readable[0]!, code: e.code, message: e.message }));
              upBar.increment(1);
              return;
            }
            const half = Math.ceil(readable.length / 2);
            await uploadParts(readable.slice(0, half), `${key}.a`);
            await uploadParts(readable.slice(half), `${key}.b`);
            return;
          }
          if (kind === 'transient' && attempt < 4) {
            const retryAfter = err instanceof InferqError ? err.retryAfter : null;
            await sleepOrAbort(Math.min(retryAfter !== null ? retryAfter * 1000 : 1000 * 2 ** attempt, 30_000), ctx.signal);
            continue;
          }
          if (err instanceof InferqError && err.code === 'idempotency_mismatch') {
            throw new CliError(
              `chunk ${key} was uploaded before with other files (the inputs changed?); run with --fresh to start a new batch`,
            );
          }
          throw err;
        }
      }
    };

    try {
      await runPool(
        pending,
        concurrency,
        async (index) => {
          await uploadParts(chunkFiles(files, state.chunk_size, index), `${batchId}:${index}`);
          await store!.update((s) => {
            if (!s.uploaded_chunks.includes(index)) s.uploaded_chunks.push(index);
            s.uploaded_chunks.sort((a, b) => a - b);
          });
        },
        () => Boolean(ctx.signal?.aborted),
      );
    } finally {
      upBar.stop();
    }
    if (ctx.signal?.aborted) throw new Interrupted();
    try {
      batch = await ctx.client.sealBatch(batchId, { signal: ctx.signal });
    } catch (err) {
      // Sealed already (a previous run got this far but did not record it).
      if (!(err instanceof InferqError && err.code === 'batch_not_open')) throw err;
      batch = await ctx.client.getBatch(batchId, { signal: ctx.signal });
    }
    await store.update((s) => (s.sealed = true));
  } else if (!state.sealed) {
    await store.update((s) => (s.sealed = true));
  }
  if (state.rejected.length > 0) {
    ctx.err(`inferq: ${state.rejected.length} file(s) refused by the server:\n`);
    for (const r of state.rejected.slice(0, 20)) ctx.err(`  ${path.relative(ctx.cwd, r.file) || r.file}: ${r.code}: ${r.message}\n`);
    if (state.rejected.length > 20) ctx.err(`  ... and ${state.rejected.length - 20} more (see ${statePath})\n`);
  }

  // ---- processing ----
  const endedOf = (b: Batch) => b.counts.succeeded + b.counts.failed + b.counts.canceled;
  if (batch.status !== 'completed' && batch.status !== 'canceled') {
    const bar = new Progress(
      ctx.stderr,
      'process',
      '{value}/{total} done | failed {failed} | ETA {eta_server}',
      (v, t, p) => `${v}/${t} done, failed ${String(p.failed)}, eta ${String(p.eta_server)}`,
    );
    bar.start(batch.counts.total, endedOf(batch), { failed: batch.counts.failed, eta_server: '-' });
    try {
      // Follows the batch's event stream (resumed after cuts, polling when streams do not get through).
      batch = await ctx.client.followBatch(batchId, {
        timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : 2 ** 31 - 1,
        signal: ctx.signal,
        onUpdate: (b) => {
          batch = b;
          bar.update(endedOf(b), { failed: b.counts.failed, eta_server: formatDuration(b.eta_seconds) }, b.counts.total);
        },
      });
    } catch (err) {
      if (err instanceof InferqError && err.code === 'timeout' && !ctx.signal?.aborted) {
        throw new CliError(`batch ${batchId} still ${batch.status} after ${timeoutS} s; re-run the same command to keep following it`);
      }
      throw err;
    } finally {
      bar.stop();
    }
  }

  // ---- results ----
  const collected: string[] = [];
  const writeResults = async (): Promise<void> => {
    const tmp = outPath ? `${outPath}.${process.pid}.partial` : null;
    const stream: NodeJS.WritableStream = tmp ? fs.createWriteStream(tmp) : ctx.stdout;
    collected.length = 0;
    try {
      for await (const line of ctx.client.batchResults(batchId, format, { signal: ctx.signal })) {
        collected.push(line);
        await writeOut(stream, line + '\n');
      }
      if (tmp) {
        const ws = stream as fs.WriteStream;
        await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
        await fsp.rename(tmp, outPath!);
      }
    } catch (err) {
      if (tmp) {
        (stream as fs.WriteStream).destroy();
        await fsp.rm(tmp, { force: true });
      }
      throw err;
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeResults();
      break;
    } catch (err) {
      // Retry a cut-off download when writing to a file (stdout cannot take back what it printed).
      if (!outPath || isAbort(err, ctx.signal) || classifyUploadError(err) !== 'transient' || attempt >= 3) throw err;
      await sleepOrAbort(1000 * 2 ** attempt, ctx.signal);
    }
  }
  const tally = tallyResults(collected, format);

  const elapsed = (performance.now() - started) / 1000;
  const resumed = decision.action === 'resume' && store.state === decision.state;
  const c = batch.counts;
  const summary: BatchSummary = {
    batch_id: batchId,
    status: batch.status,
    total: c.total,
    succeeded: c.succeeded,
    failed: c.failed,
    canceled: c.canceled,
    rejected: state.rejected.length,
    result_lines: tally.lines,
    elapsed_s: Math.round(elapsed * 100) / 100,
    images_per_s: elapsed > 0 ? Math.round((c.total / elapsed) * 100) / 100 : 0,
    out: outPath,
    format,
    state_file: statePath,
    resumed,
  };
  if (ctx.json) {
    ctx.err(JSON.stringify(summary) + '\n');
  } else {
    if (tally.failed.length > 0) {
      ctx.err(`inferq: ${tally.failed.length} item(s) did not succeed:\n`);
      for (const f of tally.failed.slice(0, 20)) ctx.err(`  ${f.filename ?? '(no name)'}: ${f.status}${f.error_code ? ` (${f.error_code})` : ''}\n`);
      if (tally.failed.length > 20) ctx.err(`  ... and ${tally.failed.length - 20} more (see the results)\n`);
    }
    ctx.err(
      [
        `batch ${batchId} ${batch.status}`,
        `  total ${c.total}, succeeded ${c.succeeded}, failed ${c.failed}, canceled ${c.canceled}${state.rejected.length ? `, refused at upload ${state.rejected.length}` : ''}`,
        `  elapsed ${elapsed.toFixed(1)} s, ${summary.images_per_s.toFixed(2)} images/s${resumed ? ' (this run of a resumed batch)' : ''}`,
        `  results: ${outArg ?? 'stdout'} (${tally.lines} ${format} line${tally.lines === 1 ? '' : 's'})`,
        '',
      ].join('\n'),
    );
  }

  if (batch.status === 'canceled') {
    ctx.err(`inferq: batch ${batchId} was canceled\n`);
    return EXIT.error;
  }
  if (tally.lines < c.total) {
    ctx.err(`inferq: the results have ${tally.lines} lines for ${c.total} items\n`);
    return EXIT.error;
  }
  if (c.failed > 0 || c.canceled > 0 || state.rejected.length > 0) return EXIT.itemsFailed;
  return EXIT.ok;
}

function sleepOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const onAbort = () => {
      clearTimeout(t);
      reject(new Interrupted());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- eval ----

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

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

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

// ---------------------------------------------------------------------------------------------------------------
// main

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Runs the CLI and resolves with the exit code; never calls process.exit. With the default io, Ctrl-C stops a
 * long command cleanly (a second Ctrl-C exits at once).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let parsed: ParsedCli;
  const err = (s: string) => void io.stderr.write(s);
  try {
    parsed = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`inferq: ${e.message}\nRun 'inferq ${e.command ? `${e.command} ` : ''}--help' for usage.\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (parsed.command === 'version') {
    io.stdout.write(`inferq ${CLIENT_VERSION}\n`);
    return EXIT.ok;
  }
  if (parsed.help) {
    io.stdout.write(helpText(parsed.command));
    return EXIT.ok;
  }

  const { values, positionals } = parsed;
  const url = str(values, 'url') ?? io.env.INFERQ_URL ?? DEFAULT_URL;
  const apiKey = str(values, 'api-key') ?? io.env.INFERQ_API_KEY;
  let client: InferqClient;
  try {
    client = new InferqClient({ baseUrl: url, apiKey, timeoutMs: parsed.command === 'batch' ? 300_000 : 60_000 });
  } catch (e) {
    err(`inferq: ${(e as Error).message.replace(/^InferqClient: baseUrl/, '--url')}\n`);
    return EXIT.usage;
  }

  let signal = io.signal;
  let cleanup = () => undefined as void;
  if (!signal && io.stdout === process.stdout) {
    const ac = new AbortController();
    signal = ac.signal;
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(EXIT.interrupted);
      io.stderr.write('\ninferq: interrupted, stopping (Ctrl-C again to quit at once)\n');
      ac.abort(new Interrupted());
    };
    process.on('SIGINT', onSigint);
    cleanup = () => void process.off('SIGINT', onSigint);
  }

  const ctx: Ctx = {
    ...io,
    signal,
    client,
    url,
    json: values.json === true,
    out: (s) => void io.stdout.write(s),
    err,
  };
  try {
    switch (parsed.command) {
      case 'submit':
        return await cmdSubmit(ctx, values, positionals);
      case 'status':
        return await cmdStatus(ctx, positionals[0]!);
      case 'cancel':
        return await cmdCancel(ctx, positionals[0]!);
      case 'models':
        return await cmdModels(ctx, positionals[0]);
      case 'batch':
        return await cmdBatch(ctx, values, positionals);
      case 'eval':
        return await cmdEval(ctx, values, positionals[0]!);
      case 'webhook-secret':
        return await cmdWebhookSecret(ctx, values);
      default:
        err(`inferq: unknown command ${parsed.command}\n`);
        return EXIT.usage;
    }
  } catch (e) {
    if (isAbort(e, signal)) {
      const resumable = parsed.command === 'batch' ? '; run the same command again to resume' : '';
      err(`inferq: interrupted${resumable}\n`);
      return EXIT.interrupted;
    }
    if (e instanceof UsageError) {
      err(`inferq: ${e.message}\nRun 'inferq ${e.command ?? parsed.command} --help' for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      err(`inferq: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof InferqError) {
      const hint = e.status === 0 ? `\n  is the inferq API running at ${url}? (set --url or INFERQ_URL)` : '';
      const resumable = parsed.command === 'batch' ? '\n  run the same command again to resume the batch' : '';
      err(`inferq: error: ${describeError(e)}${hint}${resumable}\n`);
      return EXIT.error;
    }
    err(`inferq: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.error;
  } finally {
    cleanup();
  }
}

// `node dist/client/cli.js ...` (a built image) or `node --import tsx client/cli.ts ...` run the CLI directly; the
// bin shim imports this module and calls `main` itself.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
