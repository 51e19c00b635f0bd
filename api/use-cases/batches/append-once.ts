import type { BatchView } from '../../../shared/batch-store.js';
import { notFound } from '../../../shared/errors.js';
import { isValidId } from '../../../shared/ids.js';
import { IdempotencyStore } from '../../adapters/idempotency-store.js';
import { discardUploads, type UploadedImage } from '../../middleware/upload.js';
import { appendImages, getBatch, type BatchDeps } from './index.js';

export interface AppendDeps {
  batch: BatchDeps;
  idempotency: IdempotencyStore;
}

export interface AppendRequest {
  batchId: string;
  files: UploadedImage[];
  /** `Idempotency-Key`: a chunk retried after a lost answer must not be added twice. */
  idempotencyKey?: string;
  requestId: string;
  scope: string;
}

/** Appends a chunk of images to an open batch, at most once per idempotency key; temp files are gone afterwards. */
export async function appendOnce(deps: AppendDeps, r: AppendRequest): Promise<BatchView> {
  const { batchId: id, files, idempotencyKey: key } = r;
  try {
    if (!isValidId(id, 'bat')) throw notFound(`no batch ${id}`);
    if (!key) return await appendImages(deps.batch, id, files, r.requestId, r.scope);
    // The key claims the append; a replay answers the batch as it is now.
    const scope = `${r.scope}:${id}`;
    const fingerprint = IdempotencyStore.fingerprint([id, files.map((f) => f.sha256)]);
    const claim = await deps.idempotency.claim(scope, key, fingerprint);
    if (!claim.claimed) return await getBatch(deps.batch, id);
    try {
      const batch = await appendImages(deps.batch, id, files, r.requestId, r.scope);
      await deps.idempotency.complete(scope, key, fingerprint, id);
      return batch;
    } catch (err) {
      await deps.idempotency.release(scope, key).catch(() => undefined);
      throw err;
    }
  } finally {
    await discardUploads(files);
  }
}
