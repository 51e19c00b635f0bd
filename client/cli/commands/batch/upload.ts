/**
 * Step 2 of `inferq batch`: upload the chunks still missing (several in flight), then seal the batch. A chunk the
 * server refuses is split to isolate the bad file; transient failures are retried; each chunk's Idempotency-Key
 * `<batch id>:<index>` keeps a retried chunk from being added twice.
 */
import { InferqError, type ImageInput } from '../../../inferq-client.js';
import type { Batch } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { classifyUploadError } from './retry.js';
import { CliError, Interrupted, isAbort, sleepOrAbort } from '../../errors.js';
import { readImage } from '../../files.js';
import { runPool } from '../../pool.js';
import { Progress } from '../../progress.js';
import type { BatchPlan } from './plan.js';
import type { BatchSession } from './session.js';
import { chunkFiles, pendingChunks, uploadedFileCount } from './state.js';

export async function uploadBatch(ctx: Ctx, plan: BatchPlan, session: BatchSession): Promise<Batch> {
  const { files, names, sizes } = plan;
  const { store } = session;
  const batchId = store.state.batch_id;
  const nameOf = new Map(files.map((f, i) => [f, names[i]!]));
  const sizeOf = new Map(files.map((f, i) => [f, sizes[i]!]));
  const bar = new Progress(ctx.stderr, 'upload', '{value}/{total} files | {mb} MiB | ETA {eta_formatted}', (v, t) => `${v}/${t} files`);
  bar.start(files.length, uploadedFileCount(files.length, store.state.chunk_size, store.state.uploaded_chunks), { mb: '0.0' });
  let bytesSent = 0;
  const reject = (file: string, code: string, message: string) => store.update((s) => s.rejected.push({ file, code, message }));

  const uploadParts = async (part: string[], key: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (ctx.signal?.aborted) throw new Interrupted();
      const images: ImageInput[] = [];
      const readable: string[] = [];
      for (const f of part) {
        try {
          images.push(await readImage(f, nameOf.get(f)));
          readable.push(f);
        } catch (err) {
          await reject(f, 'unreadable', `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? 'read_error'}`);
          bar.increment(1);
        }
      }
      if (images.length === 0) return;
      try {
        // No abort signal: on Ctrl-C the uploads in flight finish (and are recorded) rather than leaving the server
        // with images the state file does not know about.
        await ctx.client.addBatchImages(batchId, images, { idempotencyKey: key });
        for (const f of readable) bytesSent += sizeOf.get(f) ?? 0;
        bar.increment(images.length, { mb: (bytesSent / 1024 / 1024).toFixed(1) });
        return;
      } catch (err) {
        if (isAbort(err, ctx.signal)) throw new Interrupted();
        const kind = classifyUploadError(err);
        if (kind === 'split') {
          if (readable.length === 1) {
            await reject(readable[0]!, (err as InferqError).code, (err as InferqError).message);
            bar.increment(1);
            return;
          }
          const half = Math.ceil(readable.length / 2);
          await uploadParts(readable.slice(0, half), `${key}.a`);
          await uploadParts(readable.slice(half), `${key}.b`);
          return;
        }
        if (kind === 'transient' && attempt < 4) {
          const retryAfter = err instanceof InferqError ? err.retryAfter : null;
          await sleepOrAbort(Math.min(retryAfter !== null ? retryAfter * 1000 : 1000 * 2 ** attempt, 30_000), ctx.signal);
          continue;
        }
        if (err instanceof InferqError && err.code === 'idempotency_mismatch') {
          throw new CliError(`chunk ${key} was uploaded before with other files (the inputs changed?); run with --fresh to start a new batch`);
        }
        throw err;
      }
    }
  };

  const pending = pendingChunks(files.length, store.state.chunk_size, store.state.uploaded_chunks);
  try {
    await runPool(
      pending,
      plan.opts.concurrency,
      async (index) => {
        await uploadParts(chunkFiles(files, store.state.chunk_size, index), `${batchId}:${index}`);
        await store.update((s) => {
          if (!s.uploaded_chunks.includes(index)) s.uploaded_chunks.push(index);
          s.uploaded_chunks.sort((a, b) => a - b);
        });
      },
      () => Boolean(ctx.signal?.aborted),
    );
  } finally {
    bar.stop();
  }
  if (ctx.signal?.aborted) throw new Interrupted();
  return seal(ctx, batchId);
}

async function seal(ctx: Ctx, batchId: string): Promise<Batch> {
  try {
    return await ctx.client.sealBatch(batchId, { signal: ctx.signal });
  } catch (err) {
    // Sealed already (a previous run got this far but did not record it).
    if (!(err instanceof InferqError && err.code === 'batch_not_open')) throw err;
    return ctx.client.getBatch(batchId, { signal: ctx.signal });
  }
}
