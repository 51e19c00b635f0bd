import { notFound } from '../../../shared/errors.js';
import type { BatchView } from '../../../shared/batch-store.js';
import { getBatch, notOpen, type BatchDeps } from './batch-deps.js';

/** Seals a batch: it takes no more images, and completes once its items have ended (at once when they have). */
export async function sealBatch(deps: BatchDeps, id: string): Promise<BatchView> {
  const r = await deps.batches.seal(id, new Date().toISOString());
  if (r === 'missing') throw notFound(`no batch ${id}`);
  if (r !== 'ok' && r !== 'ok_completed') throw notOpen(r);
  if (r === 'ok_completed') await deps.onBatchCompleted?.(id);
  return getBatch(deps, id);
}

