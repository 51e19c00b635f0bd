import { AppError, notFound } from '../../shared/errors.js';
import { newBatchId, newJobId } from '../../shared/ids.js';
import type { BatchView } from '../../shared/batch-store.js';
import type { GuardOptions } from '../../shared/ssrf-guard.js';
import { enqueueFetches, type JobQueue } from '../../shared/queue/index.js';
import type { NewJob } from '../../shared/job-types.js';
import { SpanKind, currentCarrier, inSpan } from '../../shared/tracing.js';
import type { z } from 'zod';
import type { BatchLines } from '../../shared/contract/batch.js';
import type { JobFields } from '../job-fields.js';
import { parseUrlLine, type UrlItem } from '../url-batch-line.js';
// The batch files themselves, not ./batches/index.js: its create.ts imports this file.
import { getBatch, notOpen, type BatchDeps } from './batches/batch-deps.js';
import { failUnqueued } from './batches/append.js';
import { sealBatch } from './batches/seal.js';
import { cancelBatch } from './batches/cancel.js';
import { fetchPayload, modelOf, pendingInput } from './submit-url-job.js';

export interface UrlBatchDeps extends BatchDeps {
  fetchQueue: JobQueue<'image-fetch'>;
  guard: GuardOptions;
  /** Most lines one body may have (MAX_BATCH_URL_LINES). */
  maxLines: number;
}

/** What became of the lines of a JSON-lines body (`lines` in the answer): the contract's `BatchLines`. */
export type LineReport = z.infer<typeof BatchLines>;

/** Items appended per step: each step is one all-or-none append script and one bulk add to the fetch queue. */
export const CHUNK = 500;
/** Refusals listed in the answer: the count is exact, the list is bounded so a bad file cannot bloat it. */
export const REPORTED_REFUSALS = 1000;

/**
 * Creates a batch from JSON lines as they arrive: each line is checked (JSON, fields, the SSRF guard's static
 * check), the good ones are appended CHUNK at a time and queued for fetching, the bad ones are reported by line
 * number; the batch is sealed at the end of the body. If the body breaks off or is refused midway, the batch is
 * canceled: its items were not all received, and the client got no id to follow it by.
 */
export async function createUrlBatch(
  deps: UrlBatchDeps, fields: JobFields, lines: AsyncIterable<string>, requestId: string, tenant = 'public',
): Promise<{ batch: BatchView; lines: LineReport }> {
  const spec = modelOf(deps.models, fields);
  const id = newBatchId();
  const deadlineAt = fields.deadlineMs === null ? null : Date.now() + fields.deadlineMs;
  await deps.batches.create({
    id, model: { name: spec.name, version: spec.version }, topK: fields.topK, labelSet: fields.labelSet, createdAt: new Date().toISOString(),
    metadata: fields.metadata, webhookUrl: fields.webhookUrl, cache: fields.cache, deadlineAt, source: 'urls',
  });
  const report: LineReport = { accepted: 0, refused: 0, refused_lines: [] };
  const template = (item: UrlItem): NewJob => ({
    id: newJobId(), model: { name: spec.name, version: spec.version }, createdAt: new Date().toISOString(), input: pendingInput(item.imageUrl),
    topK: fields.topK, labelSet: fields.labelSet, blobKey: '', metadata: item.metadata, priority: null, deadlineAt, batchId: id,
    requestId, webhook: null, ...(item.customId ? { customId: item.customId } : {}),
  });
  let pending: NewJob[] = [];
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      if (lineNo > deps.maxLines) throw new AppError('too_many_lines', `a batch takes at most ${deps.maxLines} lines`);
      if (text.trim() === '') continue;
      const item = parseUrlLine(text, deps.guard);
      if ('code' in item) {
        report.refused++;
        if (report.refused_lines.length < REPORTED_REFUSALS) report.refused_lines.push({ line: lineNo, ...item });
        continue;
      }
      pending.push(template(item));
      if (pending.length === CHUNK) {
        await appendChunk(deps, id, pending, fields.cache, tenant);
        report.accepted += pending.length;
        pending = [];
      }
    }
    if (pending.length > 0) await appendChunk(deps, id, pending, fields.cache, tenant);
    report.accepted += pending.length;
  } catch (err) {
    await cancelBatch(deps, id).catch(() => undefined);
    throw err;
  }
  await sealBatch(deps, id);
  return { batch: await getBatch(deps, id), lines: report };
}

/** One chunk: recorded in the batch all or none, then queued for fetching in one bulk add. */
async function appendChunk(deps: UrlBatchDeps, batchId: string, jobs: NewJob[], cache: boolean, tenant: string): Promise<void> {
  const r = await deps.batches.append(batchId, jobs);
  if (r === 'missing') throw notFound(`no batch ${batchId}`);
  if (r !== 'ok') throw notOpen(r);
  try {
    // One enqueue span per chunk; every item's payload carries it, so each job's trace starts here.
    await inSpan('enqueue', async () => {
      const trace = currentCarrier();
      await enqueueFetches(deps.fetchQueue, jobs.map((j) => ({ ...fetchPayload(j, j.input.url!, cache, tenant), ...(trace ? { trace } : {}) })), true);
    }, { kind: SpanKind.PRODUCER, attributes: { 'inferq.batch_id': batchId, 'inferq.items': jobs.length } });
  } catch (err) {
    await failUnqueued(deps, batchId, jobs);
    throw err;
  }
  deps.metrics.jobsSubmitted.inc({ model: jobs[0]!.model.name }, jobs.length);
  deps.metrics.tenantSubmitted.inc({ tenant }, jobs.length);
}
