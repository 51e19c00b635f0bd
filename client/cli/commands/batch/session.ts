/**
 * Between plan and upload: the batch this run works on. A resumable state is checked against the server (gone,
 * canceled); otherwise a new batch is opened and its state file written.
 */
import path from 'node:path';
import { InferqError } from '../../../inferq-client.js';
import type { Batch } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import type { BatchPlan } from './plan.js';
import { StateStore, uploadedFileCount } from './state.js';

export interface BatchSession {
  store: StateStore;
  batch: Batch;
  /** This run continues a batch a previous run started. */
  resumed: boolean;
}

async function resume(ctx: Ctx, plan: BatchPlan): Promise<BatchSession | null> {
  if (plan.decision.action !== 'resume') return null;
  const s = plan.decision.state;
  let batch: Batch;
  try {
    batch = await ctx.client.getBatch(s.batch_id, { signal: ctx.signal });
  } catch (err) {
    if (!(err instanceof InferqError && err.status === 404)) throw err;
    if (plan.opts.resume) throw new CliError(`--resume: batch ${s.batch_id} no longer exists on the server (expired?); run with --fresh`);
    ctx.err(`inferq: batch ${s.batch_id} of ${plan.statePath} no longer exists on the server; starting a new batch\n`);
    return null;
  }
  if (batch.status === 'canceled') {
    throw new CliError(`batch ${s.batch_id} (from ${plan.statePath}) was canceled; run with --fresh to start a new batch`);
  }
  if (s.chunk_size !== plan.opts.chunk && plan.opts.chunkGiven) {
    ctx.err(`inferq: resuming with the batch's chunk size ${s.chunk_size} (not --chunk ${plan.opts.chunk})\n`);
  }
  const done = uploadedFileCount(plan.files.length, s.chunk_size, s.uploaded_chunks);
  ctx.err(`inferq: resuming batch ${s.batch_id} (${batch.status}; ${done} of ${plan.files.length} files uploaded before)\n`);
  return { store: new StateStore(plan.statePath, s), batch, resumed: true };
}

async function create(ctx: Ctx, plan: BatchPlan): Promise<BatchSession> {
  const { opts, files } = plan;
  const batch = await ctx.client.createBatch({
    model: opts.model ?? undefined,
    topK: opts.topK ?? undefined,
    webhookUrl: opts.webhookUrl,
    metadata: opts.metadata,
    signal: ctx.signal,
  });
  const now = new Date().toISOString();
  const store = new StateStore(plan.statePath, {
    version: 1,
    batch_id: batch.id,
    url: ctx.url,
    model: opts.model,
    top_k: opts.topK,
    inputs: plan.digest,
    chunk_size: opts.chunk,
    files,
    uploaded_chunks: [],
    rejected: [],
    sealed: false,
    created_at: now,
    updated_at: now,
  });
  await store.update(() => undefined);
  ctx.err(`inferq: batch ${batch.id}: ${files.length} images; state in ${path.relative(ctx.cwd, plan.statePath) || plan.statePath}\n`);
  return { store, batch, resumed: false };
}

export async function openSession(ctx: Ctx, plan: BatchPlan): Promise<BatchSession> {
  if (plan.decision.action === 'fresh' && plan.decision.note) ctx.err(`inferq: ${plan.decision.note}\n`);
  return (await resume(ctx, plan)) ?? (await create(ctx, plan));
}
