import { SpanKind, currentCarrier, inSpan } from '../tracing.js';
import { reserveShare } from './fair-share.js';
import type { JobQueue } from './job-queue.js';
import type { FetchPayload, InferencePayload } from './payloads.js';
import { batchItemPriority, fetchPriority, toBullPriority } from './priority.js';

/** A single job, at its API priority (0..10, null = the default): see toBullPriority for how that orders it. */
export async function enqueueJob(queue: JobQueue<'inference'>, data: InferencePayload, priority: number | null): Promise<void> {
  await queue.add({ data, jobId: data.jobId, priority: toBullPriority(priority) });
}

/**
 * Batch items run at the default level, after the single jobs of that level, and batches take turns: each item's
 * round comes from its place in its batch's fair share (see fair-share.ts and batchItemPriority). Used by batch
 * appends and by the fetch stage, which enqueues an item once its image is fetched.
 */
export async function enqueueItems(queue: JobQueue<'inference'>, payloads: InferencePayload[]): Promise<void> {
  // One enqueue span for the append; every item's payload carries it, so each job's trace starts here.
  await inSpan('enqueue', async () => {
    const first = await reserveShare(queue.redis, queue.keys, payloads[0]!.batchId!, payloads.length);
    const trace = currentCarrier();
    await queue.addBulk(payloads.map((data, i) => ({ data: trace ? { ...data, trace } : data, jobId: data.jobId, priority: batchItemPriority(first + i) })));
  }, { kind: SpanKind.PRODUCER, attributes: { 'inferq.jobs': payloads.length } });
}

/** Jobs waiting for their image_url, in one add: single jobs' fetches run before batch items'. */
export async function enqueueFetches(queue: JobQueue<'image-fetch'>, payloads: FetchPayload[], inBatch: boolean): Promise<void> {
  const priority = fetchPriority(inBatch);
  const jobs = payloads.map((data) => ({ data, jobId: data.jobId, priority }));
  if (jobs.length === 1) await queue.add(jobs[0]!);
  else await queue.addBulk(jobs);
}
