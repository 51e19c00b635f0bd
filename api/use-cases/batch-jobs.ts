import type { Queue } from 'bullmq';
import { inspectImage } from '../image-header.js';
import { newJobId } from '../../shared/ids.js';
import type { UploadedImage } from '../middleware/upload.js';
import type { BlobStore } from '../../shared/storage.js';
import type { ModelSpec } from '../../shared/model-manifest.js';
import type { NewJob } from '../../shared/job-types.js';
import { toBullPriority, type InferencePayload } from '../../shared/queues.js';

export interface BatchTemplate {
  id: string;
  spec: ModelSpec;
  topK: number;
  labelSet: string | null;
  /** The batch's deadline (epoch ms), which every item carries; null: none. */
  deadlineAt: number | null;
}

/**
 * Checks every image of an append before anything is stored, so a bad file fails the whole request and the
 * batch is unchanged (all or none); then moves them into the blob store and describes their jobs.
 */
export async function prepareItems(
  blobs: BlobStore,
  maxPixels: number,
  batch: BatchTemplate,
  files: UploadedImage[],
  requestId: string,
): Promise<{ jobs: NewJob[]; payloads: InferencePayload[] }> {
  const headers = [];
  for (const f of files) {
    try {
      headers.push(await inspectImage(await f.contents(), maxPixels));
    } catch (err) {
      if (err instanceof Error) err.message = `${f.filename ?? 'an image'}: ${err.message}`;
      throw err;
    }
  }
  const jobs: NewJob[] = [];
  const payloads: InferencePayload[] = [];
  const createdAt = new Date().toISOString();
  for (const [i, f] of files.entries()) {
    const id = newJobId();
    const blobKey = await f.storeIn(blobs);
    const h = headers[i]!;
    jobs.push({
      id, model: { name: batch.spec.name, version: batch.spec.version }, createdAt, topK: batch.topK, labelSet: batch.labelSet, blobKey,
      input: { filename: f.filename, content_type: h.contentType, bytes: f.bytes, width: h.width, height: h.height, sha256: f.sha256 },
      metadata: {}, priority: null, deadlineAt: batch.deadlineAt, batchId: batch.id, requestId, webhook: null,
    });
    payloads.push({
      jobId: id, model: batch.spec.name, blobKey, topK: batch.topK, requestId, batchId: batch.id,
      image: { width: h.width, height: h.height }, ...(batch.labelSet ? { labelSet: batch.labelSet } : {}),
    });
  }
  return { jobs, payloads };
}

/** Batch items run at the default level, after the single jobs of that level (see toBullPriority). */
export async function enqueueItems(queue: Queue<InferencePayload>, payloads: InferencePayload[]): Promise<void> {
  const priority = toBullPriority(null, 'batch');
  await queue.addBulk(payloads.map((data) => ({ name: 'classify', data, opts: { jobId: data.jobId, priority } })));
}
