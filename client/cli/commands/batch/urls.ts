import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Batch, ResultsFormat } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { intOption, parseMetadataOption, resultsFormat, type OptionValues } from '../../options.js';
import { tallyResults } from './summary.js';

/**
 * The body of a JSON-lines batch from a file: `.jsonl`/`.ndjson` are sent as they are, straight from disk (the
 * server checks every line and reports the bad ones); any other file is a list of URLs, one a line (blank lines
 * and `#` comments skipped), each sent with `custom_id` `line-<n>` so results can be matched to the list. Skipped
 * lines are sent empty (the server skips them too), so the line numbers the server reports are the file's.
 */
export async function urlBatchBody(file: string): Promise<Blob | string> {
  if (/\.(jsonl|ndjson)$/i.test(file)) return fs.openAsBlob(file);
  const text = await fsp.readFile(file, 'utf8');
  let out = '';
  text.split(/\r?\n/).forEach((line, i) => {
    const url = line.trim();
    out += url && !url.startsWith('#') ? JSON.stringify({ image_url: url, custom_id: `line-${i + 1}` }) + '\n' : '\n';
  });
  return out;
}

/**
 * `inferq batch --urls FILE`: one request creates and seals the batch from the file's URLs (the server fetches
 * the images), then the CLI follows it and writes the results (each line with its `custom_id`).
 * Exit: 0 every item succeeded; 2 some lines were refused or items failed; 1 the batch was canceled.
 */
export async function runUrlBatch(ctx: Ctx, values: OptionValues): Promise<number> {
  const file = path.resolve(ctx.cwd, String(values.urls));
  if (!(await fsp.stat(file).catch(() => null))?.isFile()) throw new CliError(`--urls: no file ${String(values.urls)}`);
  const outArg = typeof values.out === 'string' ? values.out : undefined;
  const format: ResultsFormat = resultsFormat(typeof values.format === 'string' ? values.format : undefined, outArg);
  const started = performance.now();
  const created = await ctx.client.createUrlBatch(await urlBatchBody(file), {
    model: typeof values.model === 'string' ? values.model : undefined,
    topK: intOption(values, 'top-k', { min: 1, max: 20 }),
    webhookUrl: typeof values.webhook === 'string' ? values.webhook : undefined,
    metadata: parseMetadataOption(typeof values.metadata === 'string' ? values.metadata : undefined),
    signal: ctx.signal,
  });
  const report = created.lines ?? { accepted: created.counts.total, refused: 0, refused_lines: [] };
  ctx.err(`inferq: batch ${created.id}: ${report.accepted} URL(s) accepted, ${report.refused} line(s) refused\n`);
  for (const r of report.refused_lines.slice(0, 20)) ctx.err(`  line ${r.line}: ${r.code}: ${r.message}\n`);
  if (report.refused > 20) ctx.err(`  ... and ${report.refused - 20} more\n`);

  let last = -1;
  const batch: Batch = await ctx.client.followBatch(created.id, {
    signal: ctx.signal,
    timeoutMs: 2 ** 31 - 1,
    onUpdate: (b) => {
      const ended = b.counts.succeeded + b.counts.failed + b.counts.canceled;
      // A line per tenth, not a progress bar: the output may be a log.
      const tenth = Math.floor((ended / Math.max(1, b.counts.total)) * 10);
      if (tenth > last && !ctx.json) ctx.err(`inferq: ${ended}/${b.counts.total} done, ${b.counts.failed} failed\n`);
      last = Math.max(last, tenth);
    },
  });

  const outPath = outArg ? path.resolve(ctx.cwd, outArg) : null;
  const stream: NodeJS.WritableStream = outPath ? fs.createWriteStream(outPath) : ctx.stdout;
  const lines: string[] = [];
  for await (const line of ctx.client.batchResults(created.id, format, { signal: ctx.signal })) {
    lines.push(line);
    if (!stream.write(line + '\n')) await once(stream, 'drain');
  }
  if (outPath) await new Promise<void>((resolve, reject) => (stream as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
  const tally = tallyResults(lines, format);
  const c = batch.counts;
  const summary = {
    batch_id: batch.id, status: batch.status, total: c.total, succeeded: c.succeeded, failed: c.failed, canceled: c.canceled,
    refused_lines: report.refused, result_lines: tally.lines, elapsed_s: Math.round((performance.now() - started) / 10) / 100, out: outPath, format,
  };
  if (ctx.json) ctx.err(JSON.stringify(summary) + '\n');
  else ctx.err(`inferq: batch ${batch.id} ${batch.status}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.canceled} canceled in ${summary.elapsed_s} s\n`);
  if (batch.status === 'canceled') return EXIT.error;
  return c.failed + c.canceled + report.refused > 0 ? EXIT.itemsFailed : EXIT.ok;
}
