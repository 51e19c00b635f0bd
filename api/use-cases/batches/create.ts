import { AppError } from '../../../shared/errors.js';
import { newBatchId } from '../../../shared/ids.js';
import type { BatchView } from '../../../shared/batch-store.js';
import { requireLabelSet } from '../../../shared/model-catalog.js';
import type { UploadedImage } from '../../middleware/upload.js';
import type { JobFields } from '../../job-fields.js';
import { getBatch, type BatchDeps } from './batch-deps.js';
import { appendImages } from './append.js';
import { sealBatch } from './seal.js';

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
  if (files.length === 0) return getBatch(deps, id);
  await appendImages(deps, id, files, requestId, tenant);
  return sealBatch(deps, id);
}

