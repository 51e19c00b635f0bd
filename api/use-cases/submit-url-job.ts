import { claimOrReplay } from './idempotent-replay.js';
import type { JobFields } from '../job-fields.js';
import { AppError } from '../../shared/errors.js';
import { newJobId } from '../../shared/ids.js';
import { IdempotencyStore } from '../adapters/idempotency-store.js';
import { JobStore } from '../../shared/job-store.js';
import { requireLabelSet, type ModelCatalog } from '../../shared/model-catalog.js';
import type { ModelSpec } from '../../shared/model-manifest.js';
import type { Metrics } from '../../shared/metrics.js';
import { checkUrl, OutboundUrlError, type GuardOptions } from '../../shared/ssrf-guard.js';
import { enqueueFetches, type FetchPayload, type JobQueue } from '../../shared/queue/index.js';
import type { JobInput, JobView, NewJob } from '../../shared/job-types.js';
import { SpanKind, currentCarrier, inSpan } from '../../shared/tracing.js';

export interface UrlSubmitDeps {
  jobs: JobStore;
  fetchQueue: JobQueue<'image-fetch'>;
  models: ModelCatalog;
  idempotency: IdempotencyStore;
  metrics: Metrics;
  /** The SSRF guard's allow-list (OUTBOUND_ALLOWED_HOSTS). */
  guard: GuardOptions;
}

export interface UrlSubmitRequest {
  imageUrl: string;
  fields: JobFields;
  requestId: string;
  idempotencyKey?: string;
  scope: string;
}

/** The static half of the SSRF guard at submit: a URL it refuses is never queued (400 invalid_image_url). */
export function checkImageUrl(raw: string, guard: GuardOptions): string {
  if (raw.length > 2048) throw new AppError('invalid_image_url', 'image_url must be at most 2048 characters');
  try {
    return checkUrl(raw, guard, 'image_url').href;
  } catch (err) {
    if (err instanceof OutboundUrlError) throw new AppError('invalid_image_url', err.message);
    throw err;
  }
}

/** A job's input before its image is fetched: the URL; the fetch stage fills in the rest. */
export const pendingInput = (url: string): JobInput => ({ filename: null, content_type: '', bytes: 0, width: 0, height: 0, sha256: '', url });

export function modelOf(models: ModelCatalog, fields: JobFields): ModelSpec {
  const spec = models.get(fields.model ?? models.defaultName);
  if (!spec) throw new AppError('unknown_model', `unknown model ${JSON.stringify(fields.model)}`);
  requireLabelSet(spec, fields.labelSet);
  return spec;
}

/**
 * Accepts a job whose image is at a URL: checks the URL statically, records the job (queued, no blob yet) and
 * hands it to the fetch stage, which fetches, checks and stores the image and then queues the inference. The
 * answer is a 202 at once: a fetch takes up to IMAGE_FETCH_TIMEOUT_MS, and a batch of 100,000 URLs could not
 * be fetched inside its request.
 */
export async function submitUrlJob(deps: UrlSubmitDeps, req: UrlSubmitRequest): Promise<{ job: JobView; created: boolean }> {
  const { fields } = req;
  const spec = modelOf(deps.models, fields);
  const url = checkImageUrl(req.imageUrl, deps.guard);
  const fingerprint = IdempotencyStore.fingerprint([url, spec.name, fields]);
  const replayed = await claimOrReplay(deps.idempotency, deps.jobs, req.scope, req.idempotencyKey, fingerprint);
  if (replayed) return { job: replayed, created: false };
  try {
    const record: NewJob = {
      id: newJobId(), model: { name: spec.name, version: spec.version }, createdAt: new Date().toISOString(), input: pendingInput(url),
      topK: fields.topK, labelSet: fields.labelSet, blobKey: '', metadata: fields.metadata, priority: fields.priority,
      deadlineAt: fields.deadlineMs === null ? null : Date.now() + fields.deadlineMs, batchId: null, requestId: req.requestId,
      webhook: fields.webhookUrl ? { url: fields.webhookUrl, events: fields.webhookEvents } : null,
    };
    await deps.jobs.create(record);
    try {
      await inSpan('enqueue', async () => {
        const payload = fetchPayload(record, url, fields.cache, req.scope);
        const trace = currentCarrier();
        await enqueueFetches(deps.fetchQueue, [trace ? { ...payload, trace } : payload], false);
      }, { kind: SpanKind.PRODUCER, attributes: { 'inferq.job_id': record.id } });
    } catch (err) {
      await deps.jobs.remove(record.id).catch(() => undefined);
      throw err;
    }
    deps.metrics.jobsSubmitted.inc({ model: spec.name });
    deps.metrics.tenantSubmitted.inc({ tenant: req.scope });
    if (req.idempotencyKey) await deps.idempotency.complete(req.scope, req.idempotencyKey, fingerprint, record.id);
    return { job: JobStore.viewOf(record), created: true };
  } catch (err) {
    if (req.idempotencyKey) await deps.idempotency.release(req.scope, req.idempotencyKey).catch(() => undefined);
    throw err;
  }
}

/** What the fetch stage needs of a job to fetch its image and queue its inference. */
export function fetchPayload(job: NewJob, url: string, cache: boolean, tenant: string): FetchPayload {
  return {
    jobId: job.id, url, model: job.model.name, topK: job.topK, priority: job.priority, cache, tenant,
    ...(job.labelSet ? { labelSet: job.labelSet } : {}),
    ...(job.requestId ? { requestId: job.requestId } : {}),
    ...(job.batchId ? { batchId: job.batchId } : {}),
    ...(job.webhook ? { webhook: true } : {}),
  };
}
