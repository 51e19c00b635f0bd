/**
 * The end of `inferq batch`: the summary on stderr (or JSON with --json), the exit code, and the state file
 * removed once every item succeeded (it is kept when items failed or were refused: it lists them, and a re-run
 * downloads the same batch's results again).
 */
import path from 'node:path';
import type { Batch, ResultsFormat } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { parseCsv } from '../../csv.js';
import { EXIT } from '../../errors.js';
import type { BatchPlan } from './plan.js';
import type { BatchSession } from './session.js';

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

/** The files the server refused, on stderr (the first 20; the state file has them all). */
export function reportRejected(ctx: Ctx, session: BatchSession, statePath: string): void {
  const rejected = session.store.state.rejected;
  if (rejected.length === 0) return;
  ctx.err(`inferq: ${rejected.length} file(s) refused by the server:\n`);
  for (const r of rejected.slice(0, 20)) ctx.err(`  ${path.relative(ctx.cwd, r.file) || r.file}: ${r.code}: ${r.message}\n`);
  if (rejected.length > 20) ctx.err(`  ... and ${rejected.length - 20} more (see ${statePath})\n`);
}

/** Prints the summary, removes the state file after a fully successful run, and answers the exit code. */
export async function finishBatch(ctx: Ctx, plan: BatchPlan, session: BatchSession, batch: Batch, lines: readonly string[], elapsed: number): Promise<number> {
  const { format, outPath, outArg } = plan.opts;
  const tally = tallyResults(lines, format);
  const rejected = session.store.state.rejected.length;
  const c = batch.counts;
  const summary: BatchSummary = {
    batch_id: batch.id,
    status: batch.status,
    total: c.total,
    succeeded: c.succeeded,
    failed: c.failed,
    canceled: c.canceled,
    rejected,
    result_lines: tally.lines,
    elapsed_s: Math.round(elapsed * 100) / 100,
    images_per_s: elapsed > 0 ? Math.round((c.total / elapsed) * 100) / 100 : 0,
    out: outPath,
    format,
    state_file: plan.statePath,
    resumed: session.resumed,
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
        `batch ${batch.id} ${batch.status}`,
        `  total ${c.total}, succeeded ${c.succeeded}, failed ${c.failed}, canceled ${c.canceled}${rejected ? `, refused at upload ${rejected}` : ''}`,
        `  elapsed ${elapsed.toFixed(1)} s, ${summary.images_per_s.toFixed(2)} images/s${session.resumed ? ' (this run of a resumed batch)' : ''}`,
        `  results: ${outArg ?? 'stdout'} (${tally.lines} ${format} line${tally.lines === 1 ? '' : 's'})`,
        '',
      ].join('\n'),
    );
  }

  if (batch.status === 'canceled') {
    ctx.err(`inferq: batch ${batch.id} was canceled\n`);
    return EXIT.error;
  }
  if (tally.lines < c.total) {
    ctx.err(`inferq: the results have ${tally.lines} lines for ${c.total} items\n`);
    return EXIT.error;
  }
  if (c.failed > 0 || c.canceled > 0 || rejected > 0) return EXIT.itemsFailed;
  await session.store.remove();
  return EXIT.ok;
}
