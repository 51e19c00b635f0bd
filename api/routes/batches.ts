import { Router, type Request } from 'express';
import { parseJobFields } from '../job-fields.js';
import { discardUploads, uploadedFiles } from '../middleware/upload.js';
import { appendImages, cancelBatch, createBatch, getBatch, sealBatch } from '../use-cases/batches.js';
import { streamResults } from '../batch-results.js';
import { admissionCheck } from './jobs.js';
import { IdempotencyStore } from '../idempotency.js';
import { AppError, notFound } from '../../shared/errors.js';
import { isValidId } from '../../shared/ids.js';
import { TERMINAL_STATUSES, type JobStatus } from '../../shared/job-types.js';
import type { ApiContext } from '../context.js';

const STATUSES: JobStatus[] = ['queued', 'processing', ...TERMINAL_STATUSES];

function batchId(req: Request): string {
  const id = String(req.params.id);
  if (!isValidId(id, 'bat')) throw notFound(`no batch ${id}`);
  return id;
}

/** JSON bodies carry numbers and objects; the form validator takes strings like multipart fields. */
function formFields(req: Request): Record<string, unknown> {
  if (!req.is('application/json')) return req.body ?? {};
  return Object.fromEntries(
    Object.entries((req.body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}

export function batchesRouter(ctx: ApiContext): Router {
  const r = Router();

  r.post('/v1/batches', admissionCheck(ctx), ctx.batchUpload, async (req, res) => {
    const files = uploadedFiles(req);
    try {
      const fields = parseJobFields(formFields(req), req.get('cancel-after'));
      if (fields.webhookUrl) await ctx.validateWebhookUrl(fields.webhookUrl);
      const batch = await createBatch(ctx.batch, fields, files, req.id, ctx.scopeOf(req));
      res.setHeader('Location', `/v1/batches/${batch.id}`);
      res.status(201).json(batch);
    } finally {
      await discardUploads(files);
    }
  });

  r.post('/v1/batches/:id/images', admissionCheck(ctx), ctx.batchUpload, async (req, res) => {
    const files = uploadedFiles(req);
    try {
      const id = batchId(req);
      const key = req.get('idempotency-key');
      if (!key) {
        res.json(await appendImages(ctx.batch, id, files, req.id, ctx.scopeOf(req)));
        return;
      }
      // A chunk retried after a lost answer must not be added twice: the key claims the append.
      const scope = `${ctx.scopeOf(req)}:${id}`;
      const fingerprint = IdempotencyStore.fingerprint([id, files.map((f) => f.sha256)]);
      const claim = await ctx.submit.idempotency.claim(scope, key, fingerprint);
      if (!claim.claimed) {
        res.json(await getBatch(ctx.batch, id));
        return;
      }
      try {
        const batch = await appendImages(ctx.batch, id, files, req.id, ctx.scopeOf(req));
        await ctx.submit.idempotency.complete(scope, key, fingerprint, id);
        res.json(batch);
      } catch (err) {
        await ctx.submit.idempotency.release(scope, key).catch(() => undefined);
        throw err;
      }
    } finally {
      await discardUploads(files);
    }
  });

  r.post('/v1/batches/:id/seal', async (req, res) => {
    res.json(await sealBatch(ctx.batch, batchId(req)));
  });

  r.post('/v1/batches/:id/cancel', async (req, res) => {
    res.json(await cancelBatch(ctx.batch, batchId(req)));
  });

  r.get('/v1/batches/:id', async (req, res) => {
    res.json(await getBatch(ctx.batch, batchId(req)));
  });

  r.get('/v1/batches/:id/results', async (req, res) => {
    const id = batchId(req);
    const format = String(req.query.format ?? 'jsonl');
    if (format !== 'jsonl' && format !== 'csv') throw new AppError('invalid_field', 400, 'format: must be jsonl or csv');
    const batch = await getBatch(ctx.batch, id);
    await streamResults(res, ctx.batch.batches, ctx.jobs, id, format, batch.label_set !== null);
  });

  r.get('/v1/batches/:id/jobs', async (req, res) => {
    const id = batchId(req);
    const status = req.query.status === undefined ? undefined : String(req.query.status);
    if (status !== undefined && !STATUSES.includes(status as JobStatus)) {
      throw new AppError('invalid_field', 400, `status: must be one of ${STATUSES.join(', ')}`);
    }
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new AppError('invalid_field', 400, 'limit: must be 1 to 1000');
    const cursor = req.query.cursor === undefined ? 0 : Number(req.query.cursor);
    if (!Number.isInteger(cursor) || cursor < 0) throw new AppError('invalid_field', 400, 'cursor: must be a cursor from a previous page');
    await getBatch(ctx.batch, id);
    // Scan at most 10 pages' worth per request, so a rare status costs bounded work; the cursor continues.
    const data = [];
    let pos = cursor;
    while (data.length < limit && pos < cursor + limit * 10) {
      const ids = await ctx.batch.batches.items(id, pos, limit);
      if (ids.length === 0) break;
      for (const v of await ctx.jobs.getMany(ids)) {
        pos++;
        if (v && (!status || v.status === status)) data.push(v);
        if (data.length === limit) break;
      }
    }
    const more = (await ctx.batch.batches.items(id, pos, 1)).length > 0;
    res.json({ data, next_cursor: more ? String(pos) : null });
  });

  return r;
}
