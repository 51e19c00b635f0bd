/** `inferq batch PATH...`: folders of images as one resumable batch: plan → upload → follow → download. */
import { performance } from 'node:perf_hooks';
import type { Command, Ctx } from '../../context.js';
import { MAX_FILES_PER_REQUEST, MODEL_OPTION, TOP_K_OPTION, type OptionValues } from '../../options.js';
import { downloadResults } from './download.js';
import { followBatch } from './follow.js';
import { batchOptions, planBatch } from './plan.js';
import { openSession } from './session.js';
import { finishBatch, reportRejected } from './summary.js';
import { uploadBatch } from './upload.js';
import { runUrlBatch } from './urls.js';
import { UsageError } from '../../errors.js';

async function run(ctx: Ctx, values: OptionValues, inputs: string[]): Promise<number> {
  if (values.urls !== undefined) {
    if (inputs.length > 0) throw new UsageError('--urls takes the images from its file: name no image files or folders with it', 'batch');
    return runUrlBatch(ctx, values);
  }
  if (inputs.length === 0) throw new UsageError('name at least one image file or folder (or --urls FILE)', 'batch');
  const started = performance.now();
  const plan = await planBatch(ctx, batchOptions(ctx, values), inputs);
  const session = await openSession(ctx, plan);
  let batch = session.batch;
  if (batch.status === 'open' && !session.store.state.sealed) batch = await uploadBatch(ctx, plan, session);
  if (!session.store.state.sealed) await session.store.update((s) => (s.sealed = true));
  reportRejected(ctx, session, plan.statePath);
  batch = await followBatch(ctx, batch, plan.opts.timeoutS);
  const lines = await downloadResults(ctx, plan, batch.id);
  return finishBatch(ctx, plan, session, batch, lines, (performance.now() - started) / 1000);
}

export const batch: Command = {
  run,
  spec: {
    name: 'batch',
    summary: 'classify folders of images as one batch, with progress, resumable',
    usage: 'inferq batch PATH... [--out FILE] [--format jsonl|csv] [--concurrency N] [--chunk N] [--model M] [--top-k N] [--resume]',
    details: [
      'Walks the folders recursively for .jpg .jpeg .png .webp files (any case; hidden files and folders are',
      'skipped), opens a batch, uploads the images in chunks with several requests in flight, seals the batch,',
      'follows its progress and writes the results to --out (default: stdout) in input order, each image named by',
      'its path below the folder holding them all (sub/a.jpg). A summary goes to stderr.',
      '',
      'Resumable: a state file (<out>.inferq-batch.json, or a file in $XDG_CACHE_HOME/inferq, else ~/.cache/inferq,',
      'when writing to stdout) records the batch id and the uploaded chunks. Running the same command again continues',
      'the same batch (automatically when the inputs match; --resume insists on it, --fresh ignores the state).',
      'The state file is removed once every item succeeded; it is kept when items failed or were refused.',
      'Each chunk carries the Idempotency-Key "<batch id>:<chunk index>", so a retried chunk is not added twice.',
      'Files the server refuses (not an image, too large, unreadable) are listed and do not stop the batch.',
      '',
      'Exit: 0 all items succeeded; 2 some items failed or were refused; 1 the batch could not be completed.',
    ].join('\n'),
    options: {
      out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the results here (default stdout)' },
      format: { type: 'string', short: 'f', arg: 'FMT', help: 'jsonl or csv (default: csv when FILE ends in .csv, else jsonl)' },
      concurrency: { type: 'string', short: 'c', arg: 'N', help: 'upload requests in flight (default 4)' },
      chunk: { type: 'string', arg: 'N', help: `images per upload request, 1..${MAX_FILES_PER_REQUEST} (default 50)` },
      model: MODEL_OPTION,
      'top-k': TOP_K_OPTION,
      webhook: { type: 'string', arg: 'URL', help: 'webhook URL of the batch' },
      metadata: { type: 'string', arg: 'JSON', help: 'a JSON object echoed back on the batch' },
      resume: { type: 'boolean', help: 'continue the batch of the state file (an error when it does not match)' },
      fresh: { type: 'boolean', help: 'ignore any state file and start a new batch' },
      timeout: { type: 'string', arg: 'SECONDS', help: 'give up waiting for processing after this long (default: no limit)' },
      urls: { type: 'string', arg: 'FILE', help: 'image URLs instead of files: FILE.jsonl ({"image_url","custom_id","metadata"} lines) or a list, one URL a line' },
    },
    positionals: { min: 0, max: Infinity, missing: 'name at least one image file or folder' },
    examples: [
      'inferq batch ../shared/eval/imagenet-sample --out r.jsonl',
      'inferq batch photos/ more/ --out results.csv --concurrency 8 --chunk 100',
      'inferq batch photos/ --out r.jsonl --resume',
      'inferq batch --urls list.jsonl --out r.csv',
    ],
  },
};
