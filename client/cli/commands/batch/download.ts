/**
 * Step 4 of `inferq batch`: download the results, put them in input order (the server lists items in the order
 * the chunks arrived, which concurrency shuffles), and write them to --out (atomically, retried when the download
 * is cut) or stdout.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ResultsFormat } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { isAbort, sleepOrAbort } from '../../errors.js';
import { parseCsv } from '../../csv.js';
import { writeOut } from '../../format.js';
import type { BatchPlan } from './plan.js';
import { classifyUploadError } from './retry.js';

/** The filename of one result line (JSONL object, or CSV row under `header`). */
function filenameOf(line: string, format: ResultsFormat, header: string[]): string | null {
  try {
    if (format === 'jsonl') {
      const f = (JSON.parse(line) as { filename?: unknown }).filename;
      return typeof f === 'string' ? f : null;
    }
    return parseCsv(line)[0]?.[header.indexOf('filename')] ?? null;
  } catch {
    return null;
  }
}

/**
 * `lines` in the order of `names` (a CSV header stays first). A line is placed by its upload name, or by its base
 * name when that is unique among the inputs (items uploaded under a plain name); others keep their place at the end.
 */
export function inInputOrder(lines: readonly string[], format: ResultsFormat, names: readonly string[]): string[] {
  const header = format === 'csv' && lines.length > 0 ? [lines[0]!] : [];
  const columns = header.length ? (parseCsv(header[0]!)[0] ?? []).map((h) => h.trim().toLowerCase()) : [];
  const rank = new Map(names.map((n, i) => [n, i]));
  const byBase = new Map<string, number>();
  for (const [i, n] of names.entries()) byBase.set(path.posix.basename(n), byBase.has(path.posix.basename(n)) ? -1 : i);
  const place = (line: string): number => {
    const f = filenameOf(line, format, columns);
    if (f === null) return names.length;
    const at = rank.get(f) ?? byBase.get(f) ?? -1;
    return at < 0 ? names.length : at;
  };
  const rows = lines.slice(header.length).map((line, i) => ({ line, at: place(line), i }));
  rows.sort((a, b) => a.at - b.at || a.i - b.i);
  return [...header, ...rows.map((r) => r.line)];
}

async function writeLines(ctx: Ctx, outPath: string | null, lines: readonly string[]): Promise<void> {
  const tmp = outPath ? `${outPath}.${process.pid}.partial` : null;
  const stream: NodeJS.WritableStream = tmp ? fs.createWriteStream(tmp) : ctx.stdout;
  try {
    for (const line of lines) await writeOut(stream, line + '\n');
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
}

/** Downloads and writes the results; resolves with their lines (for the summary). */
export async function downloadResults(ctx: Ctx, plan: BatchPlan, batchId: string): Promise<string[]> {
  const { format, outPath } = plan.opts;
  for (let attempt = 0; ; attempt++) {
    try {
      const lines: string[] = [];
      for await (const line of ctx.client.batchResults(batchId, format, { signal: ctx.signal })) lines.push(line);
      const ordered = inInputOrder(lines, format, plan.names);
      await writeLines(ctx, outPath, ordered);
      return ordered;
    } catch (err) {
      // Retry a cut-off download (nothing is written before the whole download is in).
      if (isAbort(err, ctx.signal) || classifyUploadError(err) !== 'transient' || attempt >= 3) throw err;
      await sleepOrAbort(1000 * 2 ** attempt, ctx.signal);
    }
  }
}
