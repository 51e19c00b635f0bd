import { Router, type Request, type RequestHandler } from 'express';
import type { BatchView } from '../../shared/batch-store.js';
import { invalidField } from '../../shared/errors.js';
import { bodyLines } from '../ndjson-lines.js';
import { uploadedFiles, type UploadedImage } from '../middleware/upload.js';
import { admissionCheck, type Admit } from '../middleware/admission.js';
import { formFields } from '../http/form-fields.js';
import { batchIdParam } from '../http/ids.js';
import { jobsPageQuery } from '../http/jobs-page-query.js';
import { batchRequestOf, type ScopeOf } from '../http/submission.js';
import { writeChunks } from '../http/write-chunks.js';
import type { BatchRequest } from '../use-cases/batches/create.js';
import type { AppendRequest } from '../use-cases/batches/append-once.js';
import type { JobsPage, JobsPageQuery } from '../use-cases/batches/list-jobs.js';
import type { ResultFormat, ResultsFile } from '../use-cases/batches/results.js';
import type { LineReport } from '../use-cases/url-batch.js';

export interface BatchesRoutesDeps {
  admit?: Admit;
  /** The batch upload (multer: many files, to temp files). */
  upload: RequestHandler;
  scopeOf: ScopeOf;
  createFromForm: (r: BatchRequest, files: UploadedImage[]) => Promise<BatchView>;
  createFromLines: (r: BatchRequest, lines: AsyncIterable<string>) => Promise<BatchView & { lines: LineReport }>;
  append: (r: AppendRequest) => Promise<BatchView>;
  seal: (id: string) => Promise<BatchView>;
  cancel: (id: string) => Promise<BatchView>;
  get: (id: string) => Promise<BatchView>;
  results: (id: string, format: ResultFormat) => Promise<ResultsFile>;
  listJobs: (id: string, q: JobsPageQuery) => Promise<JobsPage>;
}

function resultFormat(req: Request): ResultFormat {
  const format = String(req.query.format ?? 'jsonl');
  if (format !== 'jsonl' && format !== 'csv') throw invalidField('format: must be jsonl or csv');
  return format;
}

export function batchesRouter(deps: BatchesRoutesDeps): Router {
  const r = Router();

  r.post('/v1/batches', admissionCheck(deps.admit), async (req, res, next) => {
    // JSON lines of image URLs: options in the query string, the body read line by line as it arrives.
    if (!req.is('application/x-ndjson')) return next();
    const batch = await deps.createFromLines(batchRequestOf(req, deps.scopeOf, req.query), bodyLines(req));
    res.setHeader('Location', `/v1/batches/${batch.id}`);
    res.status(201).json(batch);
  });

  r.post('/v1/batches', deps.upload, async (req, res) => {
    const batch = await deps.createFromForm(batchRequestOf(req, deps.scopeOf, formFields(req)), uploadedFiles(req));
    res.setHeader('Location', `/v1/batches/${batch.id}`);
    res.status(201).json(batch);
  });

  r.post('/v1/batches/:id/images', admissionCheck(deps.admit), deps.upload, async (req, res) => {
    // The id is checked by the use case, which frees the uploaded files whatever happens.
    const at = { idempotencyKey: req.get('idempotency-key'), requestId: req.id, scope: deps.scopeOf(req) };
    res.json(await deps.append({ batchId: String(req.params.id), files: uploadedFiles(req), ...at }));
  });

  r.post('/v1/batches/:id/seal', async (req, res) => {
    res.json(await deps.seal(batchIdParam(req)));
  });

  r.post('/v1/batches/:id/cancel', async (req, res) => {
    res.json(await deps.cancel(batchIdParam(req)));
  });

  r.get('/v1/batches/:id', async (req, res) => {
    res.json(await deps.get(batchIdParam(req)));
  });

  r.get('/v1/batches/:id/results', async (req, res) => {
    const file = await deps.results(batchIdParam(req), resultFormat(req));
    res.status(200);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Disposition', `inline; filename="${file.filename}"`);
    await writeChunks(res, file.chunks);
  });

  r.get('/v1/batches/:id/jobs', async (req, res) => {
    const id = batchIdParam(req);
    res.json(await deps.listJobs(id, jobsPageQuery(req)));
  });

  return r;
}
