import type { BatchView } from '../../../shared/batch-store.js';
import { discardUploads, type UploadedImage } from '../../middleware/upload.js';
import { createBatch, type BatchDeps } from '../batches.js';
import { createUrlBatch, type LineReport, type UrlBatchDeps } from '../url-batch.js';
import { jobOptions, type WebhookUrlCheck } from '../job-options.js';

/** Who asked, and under which options (form fields or a query string, and `Cancel-After`). */
export interface BatchRequest {
  fields: unknown;
  cancelAfter?: string;
  requestId: string;
  scope: string;
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
