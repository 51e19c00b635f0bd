import type { Request } from 'express';
import { isValidId } from '../../shared/ids.js';
import { notFound } from '../../shared/errors.js';

/** The `:id` of a job route; a malformed id is 404, like an unknown one. */
export function jobIdParam(req: Request): string {
  const id = String(req.params.id);
  if (!isValidId(id, 'job')) throw notFound(`no job ${id}`);
  return id;
}

/** The `:id` of a batch route; a malformed id is 404, like an unknown one. */
export function batchIdParam(req: Request): string {
  const id = String(req.params.id);
  if (!isValidId(id, 'bat')) throw notFound(`no batch ${id}`);
  return id;
}
