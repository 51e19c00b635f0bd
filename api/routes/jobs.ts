import { Router, type Request, type RequestHandler, type Response } from 'express';
import { parseJobFields } from '../job-fields.js';
import { formFields, imageUrlField } from '../json-fields.js';
import { submitUrlJob } from '../use-cases/submit-url-job.js';
import { discardUploads, uploadedFiles, type UploadedImage } from '../middleware/upload.js';
import { submitJob } from '../use-cases/submit-job.js';
import { cancelJob } from '../use-cases/cancel-job.js';
import { preferWait, type JobEnd } from '../job-waiter.js';
import { queuePosition } from '../queue-position.js';
import { AppError, notFound } from '../../shared/errors.js';
import { isValidId } from '../../shared/ids.js';
import type { ApiContext } from '../context.js';
import { isTerminal, type JobView } from '../../shared/job-types.js';
import { endedView } from '../../shared/job-store.js';

/** `Retry-After` on a 202: when a polling client should ask again (or it follows /v1/jobs/{id}/events). */
const POLL_HINT_SECONDS = '1';

/** The image of a single-image form: field `image`, or `file` as the classic model APIs name it. */
export function singleImage(req: Request): UploadedImage {
  const files = uploadedFiles(req);
  if (files.length === 0) throw new AppError('missing_image', 400, 'send the image as multipart field "image" (or "file")');
  if (files.length > 1) throw new AppError('too_many_files', 400, 'send exactly one image');
  return files[0]!;
}

/** Runs a submission and guarantees that the request's temp files are gone whatever happens. */
export async function acceptImage(ctx: ApiContext, req: Request): Promise<{ job: JobView; created: boolean }> {
  const files = uploadedFiles(req);
  try {
    const imageUrl = imageUrlField(req);
    if (imageUrl !== undefined && files.length > 0) throw new AppError('invalid_field', 400, 'send either an image file or image_url, not both');
    const image = imageUrl === undefined ? singleImage(req) : null;
    const fields = parseJobFields(formFields(req), req.get('cancel-after'));
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw new AppError('invalid_field', 400, 'Idempotency-Key must be 1 to 255 characters');
    }
    if (fields.webhookUrl) await ctx.validateWebhookUrl(fields.webhookUrl);
    const scope = ctx.scopeOf(req);
    if (!image) {
      if (typeof imageUrl !== 'string') throw new AppError('invalid_image_url', 400, 'image_url must be a string');
      return await submitUrlJob(ctx.urls, { imageUrl, fields, requestId: req.id, idempotencyKey, scope });
    }
    return await submitJob(ctx.submit, { image, fields, requestId: req.id, idempotencyKey, scope });
  } finally {
    await discardUploads(files);
  }
}

export async function loadJob(ctx: ApiContext, id: string): Promise<JobView> {
  if (!isValidId(id, 'job')) throw notFound(`no job ${id}`);
  const stored = await ctx.jobs.get(id);
  if (!stored) throw notFound(`no job ${id}`);
  if (stored.view.status === 'queued') {
    stored.view.queue_position = await queuePosition(ctx.redis, ctx.config.redis.prefix, ctx.queue.name, id);
  }
  return stored.view;
}

/** Holds the response until the job ends or `seconds` pass (client disconnects end the wait early). */
export async function waitForEnd(ctx: ApiContext, req: Request, res: Response, id: string, seconds: number): Promise<JobEnd | null> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  return ctx.waiter.wait(id, seconds * 1000, () => ctx.jobs.status(id), abort.signal);
}

/**
 * Waits for a job just submitted (`job` is its view then) and returns its ended view, or null when the wait ran
 * out. The end's own fields complete the view without a read; a job with a webhook (its deliveries are a list
 * of their own) or an end that came without fields (heard before the wait began, or from the fallback poll) is
 * read back.
 */
async function waitForView(ctx: ApiContext, req: Request, res: Response, job: JobView, seconds: number): Promise<JobView | null> {
  if (isTerminal(job.status)) return job;
  const end = await waitForEnd(ctx, req, res, job.id, seconds);
  if (!end) return null;
  return end.fields && !job.webhook ? endedView(job, end.fields) : loadJob(ctx, job.id);
}

/** Refuses a submission before its body is read when the queue is over its high-water mark. */
export function admissionCheck(ctx: ApiContext): RequestHandler {
  return async (_req, _res, next) => {
    await ctx.submit.admit?.();
    next();
  };
}

export function jobsRouter(ctx: ApiContext): Router {
  const r = Router();

  r.post('/v1/jobs', admissionCheck(ctx), ctx.upload, async (req, res) => {
    const { job, created } = await acceptImage(ctx, req);
    res.setHeader('Location', `/v1/jobs/${job.id}`);
    const wait = preferWait(req.get('prefer'), ctx.config.http.maxWaitSeconds);
    if (wait !== null) {
      res.setHeader('Preference-Applied', `wait=${wait}`);
      const ended = await waitForView(ctx, req, res, job, wait);
      if (ended) {
        res.status(200).json(ended);
        return;
      }
      res.setHeader('Retry-After', POLL_HINT_SECONDS);
      res.status(202).json(await loadJob(ctx, job.id));
      return;
    }
    // Answered from the result cache: already finished, nothing to poll for.
    if (created && isTerminal(job.status)) {
      res.status(200).json(job);
      return;
    }
    res.setHeader('Retry-After', POLL_HINT_SECONDS);
    res.status(202).json(job);
  });

  r.get('/v1/jobs/:id', async (req, res) => {
    const job = await loadJob(ctx, req.params.id);
    // Express sets a weak ETag from the body and answers If-None-Match with 304. A finished job changes only as
    // its webhook deliveries are recorded, so caches may keep it a minute; a running one is checked each time.
    res.setHeader('Cache-Control', isTerminal(job.status) ? 'private, max-age=60' : 'no-cache');
    res.json(job);
  });

  r.post('/v1/jobs/:id/cancel', async (req, res) => {
    if (!isValidId(req.params.id, 'job')) throw notFound(`no job ${req.params.id}`);
    res.json(await cancelJob(ctx.cancel, req.params.id, req.id));
  });

  return r;
}
