import type { BatchStore } from '../../../shared/batch-store.js';
import type { JobStore } from '../../../shared/job-store.js';
import type { JobView } from '../../../shared/job-types.js';
import type { BatchResultLine } from '../../../shared/contract/batch.js';
import { getBatch } from './batch-deps.js';

export type ResultFormat = 'jsonl' | 'csv';
const PAGE = 500;
const CSV_COLUMNS = 'job_id,filename,status,label,confidence,error_code';
// A batch with a label set gets its answer in two more columns; others keep the plain header.
const CSV_LABEL_SET_COLUMNS = ',label_set_prediction,label_set_confidence';
const CSV_URL_COLUMNS = ',image_url,custom_id';

/** One line of the results file, as the contract has it. */
export function resultLine(job: JobView): BatchResultLine {
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
    ...(job.input.url ? { image_url: job.input.url } : {}),
    ...(job.custom_id ? { custom_id: job.custom_id } : {}),
  };
}

/** RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs a filename as a formula. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Which optional CSV columns a batch gets: its label set's answer, and for URL batches the item's URL and id. */
export interface CsvColumns {
  labelSet?: boolean;
  urls?: boolean;
}

function csvLine(job: JobView, cols: CsvColumns): string {
  const r = resultLine(job);
  const cells = [r.job_id, r.filename, r.status, r.label, r.confidence, r.error_code];
  if (cols.labelSet) cells.push(r.label_set?.prediction ?? null, r.label_set?.confidence ?? null);
  if (cols.urls) cells.push(r.image_url ?? null, r.custom_id ?? null);
  return cells.map(csvCell).join(',') + '\n';
}

export interface ResultsDeps {
  batches: BatchStore;
  jobs: JobStore;
}

export interface ResultsFile {
  contentType: string;
  filename: string;
  /** The file's text, a page of ended items at a time. */
  chunks: AsyncGenerator<string>;
}

/**
 * A batch's results file: one line per ended item, in the order they ended, read page by page so the batch is
 * never loaded into memory (the reader sets the pace). Partial while the batch runs.
 */
export async function batchResults(deps: ResultsDeps, batchId: string, format: ResultFormat): Promise<ResultsFile> {
  const batch = await getBatch(deps, batchId);
  const cols: CsvColumns = { labelSet: batch.label_set !== null, urls: await deps.batches.fromUrls(batchId) };
  return {
    contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    filename: `${batchId}.${format}`,
    chunks: pages(deps, batchId, format, cols),
  };
}

async function* pages(deps: ResultsDeps, batchId: string, format: ResultFormat, cols: CsvColumns): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_COLUMNS + (cols.labelSet ? CSV_LABEL_SET_COLUMNS : '') + (cols.urls ? CSV_URL_COLUMNS : '') + '\n';
  for (let start = 0; ; start += PAGE) {
    const ids = await deps.batches.ended(batchId, start, PAGE);
    let chunk = '';
    for (const job of await deps.jobs.getMany(ids)) {
      if (!job) continue; // past retention
      chunk += format === 'csv' ? csvLine(job, cols) : JSON.stringify(resultLine(job)) + '\n';
    }
    if (chunk) yield chunk;
    if (ids.length < PAGE) return;
  }
}
