/** `inferq submit FILE...`: one job per image; the ids, or with --wait the predictions, in input order. */
import path from 'node:path';
import { isTerminalStatus } from '../../inferq-client.js';
import type { WebhookEvent } from '../../types.js';
import type { Command, Ctx } from '../context.js';
import { CliError, EXIT, UsageError, describeError, isAbort } from '../errors.js';
import { readImage } from '../files.js';
import { formatMs, formatPredictions } from '../format.js';
import { MODEL_OPTION, TOP_K_OPTION, intOption, parseMetadataOption, str, type OptionValues } from '../options.js';
import { runPool } from '../pool.js';

async function run(ctx: Ctx, values: OptionValues, files: string[]): Promise<number> {
  const wait = values.wait === true;
  const topK = intOption(values, 'top-k', { min: 1, max: 20 });
  const priority = intOption(values, 'priority', { min: 0, max: 10 });
  const concurrency = intOption(values, 'concurrency', { min: 1, max: 64, def: 4 })!;
  const timeoutS = intOption(values, 'timeout', { min: 1, max: 86_400, def: 300 })!;
  const metadata = parseMetadataOption(str(values, 'metadata'));
  const events = str(values, 'webhook-events');
  const key = str(values, 'idempotency-key');
  if (events !== undefined && str(values, 'webhook') === undefined) throw new UsageError('--webhook-events needs --webhook', 'submit');

  let submitErrors = 0;
  let jobsFailed = 0;
  // Print in input order whatever order the uploads finish in.
  const lines: (string | undefined)[] = [];
  let printed = 0;
  const emit = (i: number, text: string) => {
    lines[i] = text;
    while (printed < files.length && lines[printed] !== undefined) ctx.out(lines[printed++]!);
  };

  await runPool(files, concurrency, async (file, i) => {
    const name = path.basename(file);
    try {
      const image = await readImage(path.resolve(ctx.cwd, file)).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${file}: ${err.code ?? err.message}`);
      });
      let job = await ctx.client.submitJob(image, {
        model: str(values, 'model'),
        topK,
        metadata,
        priority,
        webhookUrl: str(values, 'webhook'),
        webhookEvents: events as WebhookEvent[] | string | undefined,
        idempotencyKey: key === undefined ? undefined : files.length > 1 ? `${key}:${i}` : key,
        wait: wait ? 60 : undefined,
        signal: ctx.signal,
      });
      if (wait && !isTerminalStatus(job.status)) {
        job = await ctx.client.followJob(job.id, { timeoutMs: timeoutS * 1000, pollMs: 250, signal: ctx.signal });
      }
      if (wait && job.status !== 'succeeded') jobsFailed++;
      if (ctx.json) {
        emit(i, JSON.stringify({ file, ...job }) + '\n');
      } else if (!wait) {
        emit(i, `${name}  ${job.id}  ${job.status}\n`);
      } else {
        const head = `${name}  ${job.id}  ${job.status}${job.timings ? `  (${formatMs(job.timings.total_ms)})` : ''}`;
        const body =
          job.status === 'succeeded'
            ? formatPredictions(job.result?.predictions ?? [])
            : [`    ${job.error ? `${job.error.code}: ${job.error.message}` : job.status}`];
        emit(i, [head, ...body].join('\n') + '\n');
      }
    } catch (err) {
      if (isAbort(err, ctx.signal)) throw err;
      submitErrors++;
      ctx.err(`inferq: ${file}: ${describeError(err)}\n`);
      emit(i, '');
    }
  });
  if (submitErrors > 0) return EXIT.error;
  return jobsFailed > 0 ? EXIT.itemsFailed : EXIT.ok;
}

export const submit: Command = {
  run,
  spec: {
    name: 'submit',
    summary: 'submit images as jobs; print their ids, or with --wait their predictions',
    usage: 'inferq submit FILE... [--wait] [--top-k N] [--model M] [--webhook URL] [--metadata JSON]',
    options: {
      wait: { type: 'boolean', short: 'w', help: 'wait for each job to end and print its top predictions' },
      'top-k': TOP_K_OPTION,
      model: MODEL_OPTION,
      webhook: { type: 'string', arg: 'URL', help: 'webhook URL notified when each job ends' },
      'webhook-events': { type: 'string', arg: 'LIST', help: 'comma-separated webhook events (default job.completed)' },
      metadata: { type: 'string', arg: 'JSON', help: 'a JSON object echoed back on each job (at most 2 KiB)' },
      priority: { type: 'string', arg: 'N', help: 'queue priority 0..10, higher runs sooner (default 5)' },
      'idempotency-key': { type: 'string', arg: 'KEY', help: 'Idempotency-Key (":<index>" is appended with several files)' },
      concurrency: { type: 'string', short: 'c', arg: 'N', help: 'uploads in flight (default 4)' },
      timeout: { type: 'string', arg: 'SECONDS', help: 'with --wait: give up waiting for a job after this long (default 300)' },
    },
    positionals: { min: 1, max: Infinity, missing: 'name at least one image file' },
    examples: ['inferq submit dog.jpg', 'inferq submit --wait --top-k 3 photos/*.jpg', 'inferq submit cat.png --metadata \'{"user":"u1"}\' --json'],
  },
};
