import type { Response } from 'express';
import type { BatchStore } from '../shared/batch-store.js';
import type { JobStore } from '../shared/job-store.js';
import type { JobView } from '../shared/job-types.js';

export type ResultFormat = 'jsonl' | 'csv';
const PAGE = 500;
const CSV_COLUMNS = 'job_id,filename,status,label,confidence,error_code';
// A batch with a label set gets its answer in two more columns; others keep the plain header.
const CSV_LABEL_SET_COLUMNS = ',label_set_prediction,label_set_confidence';

export function resultLine(job: JobView) {
  const top = job.result?.predictions[0];
  return {
    job_id: job.id,
    filename: job.input.filename,
    status: job.status,
    label: top?.label ?? null,
    confidence: top?.confidence ?? null,
    predictions: job.result?.predictions ?? [],
    ...(job.result?.label_set ? { label_set: job.result.label_set } : {}),
    error_code: job.error?.code ?? (job.status === 'canceled' ? 'canceled' : null),
  };
}

/** RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs a filename as a formula. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(job: JobView, withLabelSet: boolean): string {
  const r = resultLine(job);
  const cells = [r.job_id, r.filename, r.status, r.label, r.confidence, r.error_code];
  if (withLabelSet) cells.push(r.label_set?.prediction ?? null, r.label_set?.confidence ?? null);
  return cells.map(csvCell).join(',') + '\n';
}

/**
 * Streams one line per ended item, in the order they ended, page by page: the batch is never loaded into memory,
 * and the client's pace is respected (waits for `drain`). Partial while the batch runs.
 */
export async function streamResults(res: Response, batches: BatchStore, jobs: JobStore, batchId: string, format: ResultFormat, withLabelSet = false): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `inline; filename="${batchId}.${format}"`);
  if (format === 'csv') res.write(CSV_COLUMNS + (withLabelSet ? CSV_LABEL_SET_COLUMNS : '') + '\n');
  for (let start = 0; ; start += PAGE) {
    const ids = await batches.ended(batchId, start, PAGE);
    const views = await jobs.getMany(ids);
    let chunk = '';
    for (const job of views) {
      if (!job) continue; // past retention
      chunk += format === 'csv' ? csvLine(job, withLabelSet) : JSON.stringify(resultLine(job)) + '\n';
    }
    if (chunk && !res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    if (ids.length < PAGE || res.destroyed) break;
  }
  res.end();
}
