import type { Request, Response } from 'express';
import { uploadedFiles } from '../middleware/upload.js';
import type { Submission } from '../use-cases/accept-submission.js';
import type { BatchRequest } from '../use-cases/batches/create.js';
import { formFields, imageUrlField } from './form-fields.js';

/** Idempotency scope of a request: the API key's id when auth is on, else one shared scope. */
export type ScopeOf = (req: Request) => string;

/** A single-image form or JSON body (after the upload middleware) as the accept use case takes it. */
export function submissionOf(req: Request, scopeOf: ScopeOf): Submission {
  return {
    files: uploadedFiles(req),
    imageUrl: imageUrlField(req),
    fields: formFields(req),
    cancelAfter: req.get('cancel-after'),
    idempotencyKey: req.get('idempotency-key'),
    requestId: req.id,
    scope: scopeOf(req),
  };
}

/** A batch request's options: from the form, or from the query string when the body is the batch's lines. */
export function batchRequestOf(req: Request, scopeOf: ScopeOf, fields: unknown): BatchRequest {
  return { fields, cancelAfter: req.get('cancel-after'), requestId: req.id, scope: scopeOf(req) };
}

/** Aborts when the client goes away, so a wait on its behalf ends early. */
export function abortOnClose(res: Response): AbortSignal {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  return abort.signal;
}
