import { AppError } from '../../../shared/errors.js';
import { newBatchId } from '../../../shared/ids.js';
import type { BatchView } from '../../../shared/batch-store.js';
import { requireLabelSet } from '../../../shared/model-catalog.js';
import { discardUploads, type UploadedImage } from '../../middleware/upload.js';
import type { JobFields } from '../../job-fields.js';
import { createUrlBatch, type LineReport, type UrlBatchDeps } from '../url-batch.js';
import { jobOptions, type WebhookUrlCheck } from '../job-options.js';
import { getBatch, type BatchDeps } from './batch-deps.js';
import { appendImages } from './append.js';
import { sealBatch } from './seal.js';

/** Who asked, and under which options (form fields or a query string, and `Cancel-After`). */
export interface BatchRequest {
  fields: unknown;
  cancelAfter?: string;
  requestId: string;
  scope: string;
}

/** Opens a batch; with files, appends them and seals it at once. */
export async function createBatch(deps: BatchDeps, fields: JobFields, files: UploadedImage[], requestId: string, tenant = 'public'): Promise<BatchView> {
  const spec = deps.models.get(fields.model ?? deps.models.defaultName);
  if (!spec) throw new AppError('unknown_model', `unknown model ${JSON.stringify(fields.model)}`);
  requireLabelSet(spec, fields.labelSet);
  const id = newBatchId();
  await deps.batches.create({
    id, model: { name: spec.name, version: spec.version }, topK: fields.topK, labelSet: fields.labelSet, createdAt: new Date().toISOString(),
    metadata: fields.metadata, webhookUrl: fields.webhookUrl, cache: fields.cache,
    deadlineAt: fields.deadlineMs === null ? null : Date.now() + fields.deadlineMs,
  });
  if (files.length === 0) return getBatch(deps, id);
  await appendImages(deps, id, files, requestId, tenant);
  return sealBatch(deps, id);
}

/** Opens a batch from a form; with files, appends them and seals it at once. Temp files are gone afterwards. */
export async function createFormBatch(deps: BatchDeps, validateWebhookUrl: WebhookUrlCheck, r: BatchRequest, files: UploadedImage[]): Promise<BatchView> {
  try {
    const fields = await jobOptions(validateWebhookUrl, r.fields, r.cancelAfter);
    return await createBatch(deps, fields, files, r.requestId, r.scope);
  } finally {
    await discardUploads(files);
  }
}

/** A batch from JSON lines of image URLs, read as they arrive; the report says which lines were refused. */
export async function createLineBatch(
  deps: UrlBatchDeps, validateWebhookUrl: WebhookUrlCheck, r: BatchRequest, lines: AsyncIterable<string>,
): Promise<BatchView & { lines: LineReport }> {
  const fields = await jobOptions(validateWebhookUrl, r.fields, r.cancelAfter);
  const { batch, lines: report } = await createUrlBatch(deps, fields, lines, r.requestId, r.scope);
  return { ...batch, lines: report };
}
