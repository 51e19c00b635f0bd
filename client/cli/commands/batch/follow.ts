/** Step 3 of `inferq batch`: follow the batch's progress (its event stream, polling as a fallback) until it ends. */
import { InferqError } from '../../../inferq-client.js';
import type { Batch } from '../../../types.js';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { formatDuration } from '../../format.js';
import { Progress } from '../../progress.js';

const endedOf = (b: Batch) => b.counts.succeeded + b.counts.failed + b.counts.canceled;

export async function followBatch(ctx: Ctx, batch: Batch, timeoutS: number | undefined): Promise<Batch> {
  if (batch.status === 'completed' || batch.status === 'canceled') return batch;
  const bar = new Progress(
    ctx.stderr,
    'process',
    '{value}/{total} done | failed {failed} | ETA {eta_server}',
    (v, t, p) => `${v}/${t} done, failed ${String(p.failed)}, eta ${String(p.eta_server)}`,
  );
  bar.start(batch.counts.total, endedOf(batch), { failed: batch.counts.failed, eta_server: '-' });
  let latest = batch;
  try {
    // Follows the batch's event stream (resumed after cuts, polling when streams do not get through).
    return await ctx.client.followBatch(batch.id, {
      timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : 2 ** 31 - 1,
      signal: ctx.signal,
      onUpdate: (b) => {
        latest = b;
        bar.update(endedOf(b), { failed: b.counts.failed, eta_server: formatDuration(b.eta_seconds) }, b.counts.total);
      },
    });
  } catch (err) {
    if (err instanceof InferqError && err.code === 'timeout' && !ctx.signal?.aborted) {
      throw new CliError(`batch ${batch.id} still ${latest.status} after ${timeoutS} s; re-run the same command to keep following it`);
    }
    throw err;
  } finally {
    bar.stop();
  }
}
