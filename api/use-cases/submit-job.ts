import { claimOrReplay } from './idempotent-replay.js';
import type { JobFields } from '../job-fields.js';
import type { UploadedImage } from '../middleware/upload.js';
import { inspectImage } from '../../shared/image-header.js';
import { AppError } from '../../shared/errors.js';
import { newJobId } from '../../shared/ids.js';
import { IdempotencyStore } from '../adapters/idempotency-store.js';
import { JobStore } from '../../shared/job-store.js';
import { newBlobKey, type BlobStore } from '../../shared/storage.js';
import { requireLabelSet, type ModelCatalog } from '../../shared/model-catalog.js';
import type { Metrics } from '../../shared/metrics.js';
import { enqueueJob, type InferencePayload, type JobQueue } from '../../shared/queue/index.js';
import { SpanKind, currentCarrier, inSpan } from '../../shared/tracing.js';
import type { JobView, NewJob } from '../../shared/job-types.js';
import { completeFromCache, counted, type CacheDeps } from './cached-job.js';

export interface SubmitDeps {
  jobs: JobStore;
  blobs: BlobStore;
  queue: JobQueue<'inference'>;
  models: ModelCatalog;
  idempotency: IdempotencyStore;
  metrics: Metrics;
  maxPixels: number;
  /**
   * Admission control: throws 503 when the queue is over its high-water mark. The routes call it before the
   * body is read (api/routes/jobs.ts admissionCheck), so a refused upload is never received.
   */
  admit?: () => Promise<void>;
  /** The result cache (absent when off): a hit ends the job here, with no blob, queue or worker. */
  resultCache?: CacheDeps;
}

export interface SubmitRequest {
  image: UploadedImage;
  fields: JobFields;
  requestId: string;
  idempotencyKey?: string;
  /** Idempotency keys are scoped to this (the API key's id when auth is on). */
  scope: string;
  batchId?: string;
}

/**
 * Accepts one image: checks it, stores it, records the job and enqueues it. The caller discards the upload
 * after this returns; on success it is in the blob store.
 */
export async function submitJob(deps: SubmitDeps, req: SubmitRequest): Promise<{ job: JobView; created: boolean }> {
  const { fields, image } = req;
  const spec = deps.models.get(fields.model ?? deps.models.defaultName);
  if (!spec) throw new AppError('unknown_model', `unknown model ${JSON.stringify(fields.model)}`);
  requireLabelSet(spec, fields.labelSet);
  // The header check (a thread-pool hop) and the result cache's lookup (a Redis round trip) do not depend on
  // each other, so both start now instead of one after the other (issue 12). The check's answer is awaited
  // first, so a refused image gets its 415/422 whatever the lookup found or failed with.
  const question = { sha256: image.sha256, model: { name: spec.name, version: spec.version }, labelSet: fields.labelSet };
  const cache = fields.cache ? deps.resultCache : undefined;
  const cached = cache ? cache.cache.get(question, fields.topK) : null;
  cached?.catch(() => undefined);
  const header = await inspectImage(await image.contents(), deps.maxPixels);

  const fingerprint = IdempotencyStore.fingerprint([image.sha256, spec.name, fields]);
  const replayed = await claimOrReplay(deps.idempotency, deps.jobs, req.scope, req.idempotencyKey, fingerprint);
  if (replayed) return { job: replayed, created: false };

  try {
    const id = newJobId();
    const hit = cache && cached ? counted(cache, question, await cached) : null;
    // The blob's key is chosen before its write, so the write and the record's write run together.
    const blobKey = hit ? '' : newBlobKey();
    let cachedView: JobView | undefined;
    const payload: InferencePayload = {
      jobId: id, model: spec.name, blobKey, topK: fields.topK, requestId: req.requestId, tenant: req.scope,
      image: { width: header.width, height: header.height },
    };
    if (fields.labelSet) payload.labelSet = fields.labelSet;
    if (req.batchId) payload.batchId = req.batchId;
    if (fields.webhookUrl) payload.webhook = true;
    if (deps.resultCache) Object.assign(payload, fields.cache ? { sha256: image.sha256 } : { noCache: true });
    let record: NewJob;
    try {
      record = {
        id,
        model: { name: spec.name, version: spec.version },
        createdAt: new Date().toISOString(),
        input: { filename: image.filename, content_type: header.contentType, bytes: image.bytes, width: header.width, height: header.height, sha256: image.sha256 },
        topK: fields.topK,
        labelSet: fields.labelSet,
        blobKey,
        metadata: fields.metadata,
        priority: fields.priority,
        deadlineAt: fields.deadlineMs === null ? null : Date.now() + fields.deadlineMs,
        batchId: req.batchId ?? null,
        requestId: req.requestId,
        webhook: fields.webhookUrl ? { url: fields.webhookUrl, events: fields.webhookEvents } : null,
      };
      await storeWithRecord(deps, record, hit ? null : image);
      if (hit) cachedView = await completeFromCache(deps.jobs, deps.resultCache!, record, hit);
      else {
        // The enqueue span's context travels in the payload: the worker's spans continue this trace.
        await inSpan('enqueue', async () => {
          const trace = currentCarrier();
          if (trace) payload.trace = trace;
          await enqueueJob(deps.queue, payload, fields.priority);
        }, { kind: SpanKind.PRODUCER, attributes: { 'inferq.job_id': id } });
      }
    } catch (err) {
      // Nothing half-made may stay behind: no record pointing at a job that will never run, no orphan blob.
      // Redis may be the thing that failed, so the record's removal is retried until it goes through.
      if (blobKey) await deps.blobs.delete(blobKey).catch(() => undefined);
      void retryUntilDone(() => deps.jobs.remove(id));
      throw err;
    }
    deps.metrics.jobsSubmitted.inc({ model: spec.name });
    deps.metrics.tenantSubmitted.inc({ tenant: req.scope });
    if (req.idempotencyKey) await deps.idempotency.complete(req.scope, req.idempotencyKey, fingerprint, id);
    return { job: cachedView ?? JobStore.viewOf(record), created: true };
  } catch (err) {
    if (req.idempotencyKey) await deps.idempotency.release(req.scope, req.idempotencyKey).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes the image into the blob store and the job's record into Redis at once (a disk or S3 write beside a
 * Redis round trip), and returns once both are done, or throws the first failure once neither is in flight:
 * the caller's cleanup (delete the blob, remove the record) must not race a write still under way.
 */
async function storeWithRecord(deps: SubmitDeps, record: NewJob, image: UploadedImage | null): Promise<void> {
  const [stored, created] = await Promise.allSettled([image ? image.storeIn(deps.blobs, record.blobKey) : null, deps.jobs.create(record)]);
  if (stored.status === 'rejected') throw stored.reason;
  if (created.status === 'rejected') throw created.reason;
}

/** Retries `fn` every second for up to five minutes (a Redis outage), then gives up quietly. */
async function retryUntilDone(fn: () => Promise<unknown>, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      await fn();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 1000).unref());
    }
  }
}
