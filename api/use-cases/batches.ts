import { AppError, notFound } from '../../shared/errors.js';
import { newBatchId } from '../../shared/ids.js';
import type { BatchStore, BatchView } from '../../shared/batch-store.js';
import type { JobStore } from '../../shared/job-store.js';
import type { JobView, NewJob } from '../../shared/job-types.js';
import type { BlobStore } from '../../shared/storage.js';
import { requireLabelSet, type ModelCatalog } from '../../shared/model-catalog.js';
import type { Metrics } from '../../shared/metrics.js';
import { enqueueItems, type JobQueue } from '../../shared/queue/index.js';
import type { JobLifecycle } from '../../shared/job-lifecycle.js';
import type { UploadedImage } from '../middleware/upload.js';
import type { JobFields } from '../job-fields.js';
import { prepareItems } from './batch-jobs.js';
import { completeFromCache, type CacheDeps } from './cached-job.js';

export interface BatchDeps {
  batches: BatchStore;
  jobs: JobStore;
  blobs: BlobStore;
  queue: JobQueue<'inference'>;
  /** The fetch stage's queue, where the items of a JSON-lines batch wait for their image. */
  fetchQueue?: JobQueue<'image-fetch'>;
  /** How an item ends (canceled, or failed when the queue refused it): counts, blob, batch completion. */
  lifecycle: JobLifecycle;
  models: ModelCatalog;
  metrics: Metrics;
  maxPixels: number;
  onBatchCompleted?: (batchId: string) => Promise<void>;
  /** The result cache (absent when off): items it answers end at append time. */
  resultCache?: CacheDeps;
}

const notOpen = (status: string) => new AppError('batch_not_open', 409, `the batch is ${status}; it takes no more images`);

async function mustGet(deps: BatchDeps, id: string): Promise<BatchView> {
  const b = await deps.batches.get(id);
  if (!b) throw notFound(`no batch ${id}`);
  return b;
}

/** Opens a batch; with files, appends them and seals it at once. */
export async function createBatch(deps: BatchDeps, fields: JobFields, files: UploadedImage[], requestId: string, tenant = 'public'): Promise<BatchView> {
  const spec = deps.models.get(fields.model ?? deps.models.defaultName);
  if (!spec) throw new AppError('unknown_model', 404, `unknown model ${JSON.stringify(fields.model)}`);
  requireLabelSet(spec, fields.labelSet);
  const id = newBatchId();
  await deps.batches.create({
    id, model: { name: spec.name, version: spec.version }, topK: fields.topK, labelSet: fields.labelSet, createdAt: new Date().toISOString(),
    metadata: fields.metadata, webhookUrl: fields.webhookUrl, cache: fields.cache,
    deadlineAt: fields.deadlineMs === null ? null : Date.now() + fields.deadlineMs,
  });
  if (files.length === 0) return mustGet(deps, id);
  await appendImages(deps, id, files, requestId, tenant);
  return sealBatch(deps, id);
}

/** Appends images to an open batch: every image is checked first, and the batch changes all at once or not. */
export async function appendImages(deps: BatchDeps, id: string, files: UploadedImage[], requestId: string, tenant = 'public'): Promise<BatchView> {
  if (files.length === 0) throw new AppError('missing_image', 400, 'send one or more images as multipart field "images"');
  const batch = await mustGet(deps, id);
  if (batch.status !== 'open') throw notOpen(batch.status);
  const spec = deps.models.get(batch.model.name);
  if (!spec) throw new AppError('unknown_model', 404, `model ${batch.model.name} is no longer served`);
  const useCache = deps.resultCache ? await deps.batches.usesCache(id) : false;
  const deadlineAt = batch.deadline_at === null ? null : Date.parse(batch.deadline_at);
  const template = { id, spec, topK: batch.top_k, labelSet: batch.label_set, deadlineAt, useCache, tenant };
  const { jobs, payloads, hits } = await prepareItems(deps.blobs, deps.maxPixels, template, files, requestId, deps.resultCache);
  const stored = jobs.filter((j) => j.blobKey !== '');
  let r: string;
  try {
    r = await deps.batches.append(id, jobs);
  } catch (err) {
    await Promise.allSettled(stored.map((j) => deps.blobs.delete(j.blobKey)));
    throw err;
  }
  if (r !== 'ok') {
    await Promise.allSettled(stored.map((j) => deps.blobs.delete(j.blobKey)));
    if (r === 'missing') throw notFound(`no batch ${id}`);
    throw notOpen(r);
  }
  // The lifecycle sends `batch.completed` if a cached answer ended the batch's last open item.
  for (const h of hits) await completeFromCache(deps.jobs, deps.resultCache!, h.job, h.answer);
  try {
    if (payloads.length > 0) await enqueueItems(deps.queue, payloads);
  } catch (err) {
    await failUnqueued(deps, id, stored);
    throw err;
  }
  deps.metrics.jobsSubmitted.inc({ model: spec.name }, jobs.length);
  deps.metrics.tenantSubmitted.inc({ tenant }, jobs.length);
  return mustGet(deps, id);
}

/**
 * Items recorded in the batch but not queued (the queue refused them): ended as failed so the counts stay true
 * and the batch can still complete, rather than left waiting forever; their blobs, if any, deleted.
 */
export async function failUnqueued(deps: BatchDeps, batchId: string, jobs: NewJob[]): Promise<void> {
  const error = { code: 'enqueue_failed', message: 'the queue refused the item' };
  for (const j of jobs) {
    // Redis may be what refused them: the blob goes even when the record could not be ended (the sweep is the backstop).
    const ending = { id: j.id, model: j.model.name, batchId, blobKey: j.blobKey, webhook: false };
    const done = await deps.lifecycle.finish(ending, { kind: 'failed', error }).catch(() => null);
    if (!done && j.blobKey) await deps.blobs.delete(j.blobKey).catch(() => undefined);
  }
}

export async function sealBatch(deps: BatchDeps, id: string): Promise<BatchView> {
  const r = await deps.batches.seal(id, new Date().toISOString());
  if (r === 'missing') throw notFound(`no batch ${id}`);
  if (r !== 'ok' && r !== 'ok_completed') throw notOpen(r);
  if (r === 'ok_completed') await deps.onBatchCompleted?.(id);
  return mustGet(deps, id);
}

/** Cancels every item not yet started; items already running finish. */
export async function cancelBatch(deps: BatchDeps, id: string): Promise<BatchView> {
  const now = new Date().toISOString();
  const r = await deps.batches.markCanceled(id, now);
  if (r === 'missing') throw notFound(`no batch ${id}`);
  if (r === 'completed') throw new AppError('not_cancelable', 409, 'the batch has completed');
  if (r === 'completed_now') await deps.onBatchCompleted?.(id);
  const PAGE = 500;
  for (let start = 0; ; start += PAGE) {
    const ids = await deps.batches.items(id, start, PAGE);
    const views = await deps.jobs.getMany(ids);
    // Items are independent: a few at a time, so a 100,000-item batch is not 100,000 sequential round trips.
    let next = 0;
    const lane = async () => {
      while (next < views.length) {
        const job = views[next++];
        if (job && job.status === 'queued') await cancelItem(deps, id, job, now);
      }
    };
    await Promise.all(Array.from({ length: CANCEL_CONCURRENCY }, lane));
    if (ids.length < PAGE) break;
  }
  return mustGet(deps, id);
}

/** Items of a batch canceled at once (each is a few Redis round trips). */
const CANCEL_CONCURRENCY = 16;

async function cancelItem(deps: BatchDeps, batchId: string, job: JobView, now: string): Promise<void> {
  // An item still waiting for its image_url never reached the inference queue: taken out of the fetch queue,
  // it never runs (one being fetched finds itself canceled when the fetch ends).
  const unfetched = job.input.url !== undefined && job.input.sha256 === '';
  if (!(unfetched && deps.fetchQueue && (await deps.fetchQueue.remove(job.id)))) {
    // BullMQ refuses to remove a job a worker has locked: that one is running and will finish.
    if (!(await deps.queue.remove(job.id)) && !(unfetched && !(await deps.queue.has(job.id)))) return;
  }
  // The blob is read back after the cancel: a fetched item may have got one since `job` was read.
  await deps.lifecycle.cancel({ id: job.id, model: job.model.name, batchId, webhook: false }, now);
}

export { mustGet as getBatch };
