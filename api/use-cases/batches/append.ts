import { AppError, notFound } from '../../../shared/errors.js';
import type { BatchView } from '../../../shared/batch-store.js';
import type { NewJob } from '../../../shared/job-types.js';
import { enqueueItems } from '../../../shared/queue/index.js';
import type { UploadedImage } from '../../middleware/upload.js';
import { prepareItems } from '../batch-jobs.js';
import { completeFromCache } from '../cached-job.js';
import { getBatch, notOpen, type BatchDeps } from './batch-deps.js';

/** Appends images to an open batch: every image is checked first, and the batch changes all at once or not. */
export async function appendImages(deps: BatchDeps, id: string, files: UploadedImage[], requestId: string, tenant = 'public'): Promise<BatchView> {
  if (files.length === 0) throw new AppError('missing_image', 'send one or more images as multipart field "images"');
  const batch = await getBatch(deps, id);
  if (batch.status !== 'open') throw notOpen(batch.status);
  const spec = deps.models.get(batch.model.name);
  if (!spec) throw new AppError('unknown_model', `model ${batch.model.name} is no longer served`);
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
  return getBatch(deps, id);
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

