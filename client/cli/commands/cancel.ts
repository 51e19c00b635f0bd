/** `inferq cancel ID`: a queued job, or every not-yet-started item of a batch; a refusal says why. */
import { InferqError, isTerminalStatus } from '../../inferq-client.js';
import type { Command, Ctx } from '../context.js';
import { CliError, EXIT } from '../errors.js';

async function run(ctx: Ctx, _values: unknown, [id]: string[]): Promise<number> {
  const isBatch = id!.startsWith('bat_');
  try {
    if (isBatch) {
      const b = await ctx.client.cancelBatch(id!, { signal: ctx.signal });
      ctx.out(ctx.json ? JSON.stringify(b, null, 2) + '\n' : `canceled batch ${b.id}: ${b.counts.canceled} of ${b.counts.total} items canceled\n`);
    } else {
      const job = await ctx.client.cancelJob(id!, { signal: ctx.signal });
      ctx.out(ctx.json ? JSON.stringify(job, null, 2) + '\n' : `canceled ${job.id}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof InferqError && err.status === 409) {
      let why = err.message;
      if (!isBatch && err.code === 'not_cancelable') {
        const job = await ctx.client.getJob(id!, { signal: ctx.signal }).catch(() => null);
        if (job && isTerminalStatus(job.status)) why = `it has already ended (${job.status}); only queued jobs can be canceled`;
        else if (job?.status === 'processing') why = 'it is already processing; only queued jobs can be canceled';
      }
      throw new CliError(`cannot cancel ${id}: ${why}`);
    }
    throw err;
  }
}

export const cancel: Command = {
  run,
  spec: {
    name: 'cancel',
    summary: 'cancel a queued job, or every not-yet-started item of a batch',
    usage: 'inferq cancel ID',
    details: 'Only a queued job can be canceled; a job that is processing or has ended is refused (exit 1).',
    options: {},
    positionals: { min: 1, max: 1, missing: 'name a job id (job_...) or batch id (bat_...)' },
    examples: ['inferq cancel job_01JABCDEFGHJKMNPQRSTVWXYZ0'],
  },
};
