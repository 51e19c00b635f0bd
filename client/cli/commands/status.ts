/** `inferq status ID`: a job (job_...) or a batch (bat_...), readable or as JSON. */
import type { Batch, Job } from '../../types.js';
import type { Command, Ctx } from '../context.js';
import { EXIT } from '../errors.js';
import { formatBytes, formatDuration, formatMs, formatPredictions, pct, table } from '../format.js';

function describeJob(job: Job): string {
  const rows: string[][] = [['model', `${job.model.name} ${job.model.version}`]];
  const inp = job.input;
  if (inp) rows.push(['input', `${inp.filename ?? '(no name)'}  ${inp.content_type} ${inp.width}x${inp.height}, ${formatBytes(inp.bytes)}`]);
  rows.push(['created', job.created_at]);
  if (job.started_at) rows.push(['started', job.started_at]);
  if (job.completed_at) rows.push(['completed', job.completed_at]);
  if (job.timings) {
    const t = job.timings;
    rows.push([
      'timings',
      `queue ${formatMs(t.queue_ms)}, preprocess ${formatMs(t.preprocess_ms)}, inference ${formatMs(t.inference_ms)}, total ${formatMs(t.total_ms)} (batch of ${t.batch_size})`,
    ]);
  }
  if (job.error) rows.push(['error', `${job.error.code}: ${job.error.message}`]);
  if (job.batch_id) rows.push(['batch', job.batch_id]);
  if (job.metadata && Object.keys(job.metadata).length > 0) rows.push(['metadata', JSON.stringify(job.metadata)]);
  if (job.webhook) rows.push(['webhook', `${job.webhook.url} (${job.webhook.deliveries.length} deliveries)`]);
  const lines = [`${job.id}  ${job.status}`, table(rows.map((r) => ['  ' + r[0]!, r[1]!]))];
  if (job.result?.predictions.length) lines.push('  predictions', ...formatPredictions(job.result.predictions));
  return lines.join('\n') + '\n';
}

function describeBatch(b: Batch): string {
  const c = b.counts;
  const rows = [
    ['model', `${b.model.name} ${b.model.version}`],
    ['items', `${c.total} total: ${c.queued} queued, ${c.processing} processing, ${c.succeeded} succeeded, ${c.failed} failed, ${c.canceled} canceled`],
    ['progress', `${pct(b.progress)}${b.eta_seconds !== null && b.status === 'processing' ? `, eta ${formatDuration(b.eta_seconds)}` : ''}`],
    ['created', b.created_at],
  ];
  if (b.completed_at) rows.push(['completed', b.completed_at]);
  if (b.metadata && Object.keys(b.metadata).length > 0) rows.push(['metadata', JSON.stringify(b.metadata)]);
  return `${b.id}  ${b.status}\n${table(rows.map((r) => ['  ' + r[0]!, r[1]!]))}\n`;
}

async function run(ctx: Ctx, _values: unknown, [id]: string[]): Promise<number> {
  if (id!.startsWith('bat_')) {
    const b = await ctx.client.getBatch(id!, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(b, null, 2) + '\n' : describeBatch(b));
  } else {
    const job = await ctx.client.getJob(id!, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(job, null, 2) + '\n' : describeJob(job));
  }
  return EXIT.ok;
}

export const status: Command = {
  run,
  spec: {
    name: 'status',
    summary: 'show a job (job_...) or a batch (bat_...)',
    usage: 'inferq status ID',
    options: {},
    positionals: { min: 1, max: 1, missing: 'name a job id (job_...) or batch id (bat_...)' },
    examples: ['inferq status job_01JABCDEFGHJKMNPQRSTVWXYZ0', 'inferq status bat_01JABCDEFGHJKMNPQRSTVWXYZ0 --json'],
  },
};
