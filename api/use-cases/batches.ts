import type { Queue } from 'bullmq';
import { AppError, notFound } from '../../shared/errors.js';
import { newBatchId } from '../../shared/ids.js';
import type { BatchStore, BatchView } from '../../shared/batch-store.js';
import type { JobStore } from '../../shared/job-store.js';
import type { BlobStore } from '../../shared/storage.js';
import { requireLabelSet, type ModelCatalog } from '../../shared/model-catalog.js';
import type { Metrics } from '../../shared/metrics.js';
import type { InferencePayload } from '../../shared/queues.js';
import type { UploadedImage } from '../middleware/upload.js';
import type { JobFields } from '../job-fields.js';
import { enqueueItems, prepareItems } from './batch-jobs.js';
import { completeFromCache, type CacheDeps } from './cached-job.js';

export interface BatchDeps {
  batches: BatchStore;
  jobs: JobStore;
  blobs: BlobStore;
  queue: Queue<InferencePayload>;
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
  for (const h of hits) {
    const { batchCompleted } = await completeFromCache(deps.jobs, deps.resultCache!, h.job, h.answer);
    if (batchCompleted) await deps.onBatchCompleted?.(id);
  }
  try {
    if (payloads.length > 0) await enqueueItems(deps.queue, payloads);
  } catch (err) {
    // The records are in the batch but not queued: end them as failed so the counts stay true and the batch
    // can still complete, rather than leaving items that would wait forever.
    const at = new Date().toISOString();
    for (const j of stored) {
      const done = await deps.jobs
        .finish(j.id, id, { kind: 'failed', error: { code: 'enqueue_failed', message: 'the queue refused the item' } }, at)
        .catch(() => null);
      await deps.blobs.delete(j.blobKey).catch(() => undefined);
      if (done?.batchCompleted) await deps.onBatchCompleted?.(id);
    }
    throw err;
  }
  deps.metrics.jobsSubmitted.inc({ model: spec.name }, jobs.length);
  deps.metrics.tenantSubmitted.inc({ tenant }, jobs.length);
  return mustGet(deps, id);
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
    for (const job of views) {
      if (!job || job.status !== 'queued') continue;
      // BullMQ refuses to remove a job a worker has locked: that one is running and will finish.
      if ((await deps.queue.remove(job.id)) !== 1) continue;
      const c = await deps.jobs.cancel(job.id, id, now);
      if (!c.ok) continue;
      const stored = await deps.jobs.get(job.id);
      if (stored) await deps.blobs.delete(stored.blobKey);
      deps.metrics.jobsFinished.inc({ model: job.model.name, status: 'canceled' });
      if (c.batchCompleted) await deps.onBatchCompleted?.(id);
    }
    if (ids.length < PAGE) break;
  }
  return mustGet(deps, id);
}

export { mustGet as getBatch };
