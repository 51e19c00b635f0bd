import { createHash } from 'node:crypto';
import path from 'node:path';
import { UnrecoverableError, giveBack, type ImageDims, type InferencePayload, type QueuedJob } from '../shared/queue/index.js';
import type { JobStore } from '../shared/job-store.js';
import type { BlobStore } from '../shared/storage.js';
import type { Metrics } from '../shared/metrics.js';
import type { Logger } from '../shared/logger.js';
import type { JobView } from '../shared/job-types.js';
import type { EndingJob, JobLifecycle } from '../shared/job-lifecycle.js';
import { itemDims, type LoadedModel, type ModelRegistry } from './model-registry.js';
import { decodeResized, type RawImage } from './preprocess.js';
import { InvalidImageError } from './invalid-image-error.js';
import { JobFailure, jobErrorOf } from './job-failure.js';
import { IsolatedCrashError, runIsolated } from './isolated-run.js';
import { answerWithoutCache, type ResultReuse, type RunOutput } from './result-reuse.js';
import { activeTraceId, inSpan } from '../shared/tracing.js';

export interface ProcessDeps {
  jobs: JobStore;
  blobs: BlobStore;
  models: ModelRegistry;
  metrics: Metrics;
  logger: Logger;
  maxPixels: number;
  /** Test-only fault injection: the sha256 of an image whose batch kills the process. */
  crashOnSha256?: string;
  /** True once the worker is shutting down: jobs it fetches from then on go back to the queue untouched. */
  isClosing?: () => boolean;
  /** How a job ends (state, metrics, blob, webhook, batch): shared/job-lifecycle.ts. */
  lifecycle: JobLifecycle;
  /** Told when a job with a webhook starts (`job.started`). */
  onStarted?: (job: JobView, requestId: string | null) => Promise<void>;
  /** The result cache's worker side (absent when RESULT_CACHE_SECONDS is 0). */
  reuse?: ResultReuse;
}

const since = (t: number) => performance.now() - t;
const round = (ms: number) => Math.round(ms * 10) / 10;
// A suspect runs in a fresh process: process start, model load and one image fit well within this.
const ISOLATED_TIMEOUT_MS = 60_000;

/**
 * The BullMQ processor for one classification job. Many run at once (concurrency ≥ batch size); each decodes
 * its own image, then waits for its place in the model's batcher. The result goes to the job record, which is
 * what clients read.
 */
export function createProcessor(deps: ProcessDeps) {
  return async (job: QueuedJob<InferencePayload>, token?: string): Promise<{ stored: boolean }> => {
    const { jobId, model, blobKey, batchId } = job.data;
    const log = deps.logger.child({ job_id: jobId, request_id: job.data.requestId, model });
    // Fetched while closing (BullMQ can hand out one more job): give it back untouched, with no attempt spent.
    if (deps.isClosing?.() && token) await giveBack(job, token);
    const loaded = deps.models.get(model);
    if (!loaded) {
      log.error('job for a model this worker does not serve');
      await failJob(deps, job, { code: 'unknown_model', message: `model ${model} is not served by any worker` });
      throw new UnrecoverableError(`model ${model} is not served by this worker`);
    }
    const startedAt = new Date();
    const started = performance.now();
    // A job that stalled before may be what killed its worker: it runs alone, in a process of its own.
    const suspect = job.stalledCounter > 0;
    // What a lone job would otherwise wait for one round trip after another starts with its start being recorded:
    // the result cache's lookup, or, when there is none to make, the image's read and decode (issue 12). A job
    // that must not run wastes that lookup or decode, nothing else. With a lookup, the decode waits for its miss:
    // a hit must cost no decode.
    const lookup = deps.reuse?.lookup(job.data, loaded) ?? null;
    const early = lookup ? null : prepare(deps, loaded, blobKey, !suspect, job.data.image);
    lookup?.catch(() => undefined);
    early?.catch(() => undefined);
    const mark = await deps.jobs.markProcessing(jobId, batchId, startedAt.toISOString(), job.attemptsStarted);
    if (!mark.ok) {
      // Canceled meanwhile, or a re-run of a job that already ended. If its worker died between storing the
      // result and queueing its webhooks, queue them now: they dedupe on the event id.
      log.info({ status: mark.status, deadline_exceeded: mark.expired }, 'job not run: it is no longer queued');
      if (mark.expired) await deps.lifecycle.expiredAtTake(endingOf(job), mark.batchCompleted);
      else if (mark.status === 'succeeded' || mark.status === 'failed') await deps.lifecycle.announceAgain(endingOf(job), mark.status);
      return { stored: false };
    }
    if (mark.status === 'first' && job.data.webhook && deps.onStarted) {
      // Only jobs with a webhook are read back: the rest need no second round trip per status change.
      const stored = await deps.jobs.get(jobId);
      if (stored) await deps.onStarted(stored.view, stored.requestId);
    }
    const queueMs = Math.max(0, startedAt.getTime() - job.timestamp);
    deps.metrics.queueWait.observe({ model }, queueMs / 1000);
    deps.metrics.tenantQueueWait.observe({ tenant: job.data.tenant ?? 'public' }, queueMs / 1000);

    try {
      if (suspect) log.warn({ stalled: job.stalledCounter }, 'job stalled before: running it in an isolated process');
      const run = async () => {
        const prepared = await (early ?? prepare(deps, loaded, blobKey, !suspect, job.data.image));
        return suspect ? runAlone(deps, loaded, prepared.bytes) : runBatched(deps, loaded, prepared);
      };
      // The same image's answer, when the result cache has it or this process is computing it now.
      const out = deps.reuse ? await deps.reuse.answer(job.data, loaded, run, lookup) : await answerWithoutCache(job.data, loaded, run);
      const { predictions, labelSet, cachedFrom } = out;
      const totalMs = since(started) + queueMs;
      const timings = {
        queue_ms: round(queueMs),
        preprocess_ms: round(out.preprocessMs),
        inference_ms: round(out.inferenceMs),
        total_ms: round(totalMs),
        batch_size: out.batchSize,
      };
      const storing = performance.now();
      const outcome = { kind: 'succeeded' as const, predictions, labelSet, timings, cachedFrom };
      const done = await deps.lifecycle.finish(endingOf(job), outcome, { endToEndMs: totalMs, timeWrite: true });
      // The job's access line: one per finished job (failures log theirs in failJob).
      if (done.ok) log.info({ status: 'succeeded', ...timings, store_ms: round(since(storing)), batch_id: batchId, trace_id: activeTraceId() }, 'job finished');
      return { stored: true };
    } catch (err) {
      if (err instanceof InvalidImageError) {
        log.debug({ code: err.code, detail: err.message }, 'job failed: the image cannot be decoded');
        await failJob(deps, job, { code: err.code, message: err.message });
        throw new UnrecoverableError(err.message);
      }
      if (err instanceof IsolatedCrashError) {
        log.warn({ detail: err.message }, 'job failed: it crashed its process again when run alone');
        await failJob(deps, job, { code: 'worker_crashed', message: 'processing this image crashed its worker' });
        throw new UnrecoverableError(err.message);
      }
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err, attempt: job.attemptsStarted, final }, 'job attempt failed');
      if (final) await failJob(deps, job, jobErrorOf(err));
      throw err;
    }
  };
}

type Outcome = RunOutput;

/** An image read from the blob store and, unless it is to run alone, decoded for the batcher. */
interface Prepared {
  bytes: Buffer;
  raw: RawImage | null;
  preprocessMs: number;
}

/** Reads the image and, with `decode`, decodes it (`header`: what the API read of it, if it said). */
async function prepare(deps: ProcessDeps, loaded: LoadedModel, blobKey: string, decode: boolean, header?: ImageDims): Promise<Prepared> {
  // Counted from before the read: the batcher waits for images on their way, and this one is.
  if (decode) loaded.decoding.count++;
  try {
    const bytes = await deps.blobs.read(blobKey).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new JobFailure('blob_missing', 'the uploaded image is gone');
      throw err;
    });
    if (!decode) return { bytes, raw: null, preprocessMs: 0 };
    const t0 = performance.now();
    const raw = await inSpan('decode', () => decodeResized(bytes, loaded.spec.preprocessing, { maxPixels: deps.maxPixels, header }));
    const preprocessMs = since(t0);
    deps.metrics.preprocess.observe({ model: loaded.spec.name }, preprocessMs / 1000);
    return { bytes, raw, preprocessMs };
  } finally {
    if (decode) loaded.decoding.count--;
  }
}

async function runBatched(deps: ProcessDeps, loaded: LoadedModel, { bytes, raw, preprocessMs }: Prepared): Promise<Outcome> {
  const crash = deps.crashOnSha256 !== undefined && sha256(bytes) === deps.crashOnSha256;
  return { ...(await loaded.batcher.submit({ raw: raw!, crash })), preprocessMs };
}

async function runAlone(deps: ProcessDeps, loaded: LoadedModel, bytes: Buffer): Promise<Outcome> {
  const { spec } = loaded;
  const r = await runIsolated(
    {
      bytes, preprocessing: spec.preprocessing, maxPixels: deps.maxPixels,
      modelFile: path.join(deps.models.modelsDir, spec.model.file), inputName: spec.input_name, outputName: spec.output_name,
      itemDims: itemDims(spec), crashOnSha256: deps.crashOnSha256,
    },
    ISOLATED_TIMEOUT_MS,
  );
  return { scores: r.scores, batchSize: 1, inferenceMs: r.inferenceMs, preprocessMs: r.preprocessMs };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What the lifecycle needs of a job: its payload knows the blob and whether there is a webhook. */
const endingOf = (job: QueuedJob<InferencePayload>): EndingJob => ({
  id: job.data.jobId, model: job.data.model, batchId: job.data.batchId, blobKey: job.data.blobKey, webhook: job.data.webhook === true,
});

/** Stores a final failure once (also used for jobs that failed by stalling too often), with its access line. */
export async function failJob(deps: ProcessDeps, job: QueuedJob<InferencePayload>, error: { code: string; message: string }) {
  const { jobId, model, batchId } = job.data;
  const done = await deps.lifecycle.finish(endingOf(job), { kind: 'failed', error });
  if (done.ok) {
    deps.logger.info({ job_id: jobId, request_id: job.data.requestId, model, batch_id: batchId, status: 'failed', code: error.code, attempts: job.attemptsStarted, trace_id: activeTraceId() }, 'job finished');
  }
}
