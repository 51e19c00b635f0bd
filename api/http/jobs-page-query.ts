import type { Request } from 'express';
import { invalidField } from '../../shared/errors.js';
import { TERMINAL_STATUSES, type JobStatus } from '../../shared/job-types.js';
import type { JobsPageQuery } from '../use-cases/batches/list-jobs.js';

const STATUSES: JobStatus[] = ['queued', 'processing', ...TERMINAL_STATUSES];

/** `?status=&limit=&cursor=` of `GET /v1/batches/{id}/jobs`, checked. */
export function jobsPageQuery(req: Request): JobsPageQuery {
  const status = req.query.status === undefined ? undefined : String(req.query.status);
  if (status !== undefined && !STATUSES.includes(status as JobStatus)) throw invalidField(`status: must be one of ${STATUSES.join(', ')}`);
  const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidField('limit: must be 1 to 1000');
  const cursor = req.query.cursor === undefined ? 0 : Number(req.query.cursor);
  if (!Number.isInteger(cursor) || cursor < 0) throw invalidField('cursor: must be a cursor from a previous page');
  return { status: status as JobStatus | undefined, limit, cursor };
}
