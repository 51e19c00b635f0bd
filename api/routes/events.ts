import { Router, type Request } from 'express';
import { AppError, notFound } from '../../shared/errors.js';
import { isValidId } from '../../shared/ids.js';
import { SseStream } from '../sse/sse-stream.js';
import { batchSource, jobSource } from '../sse/sources.js';
import type { ApiContext } from '../context.js';

/** 406 for a client that says it takes only something else; no Accept at all (curl) is fine. */
function mustAcceptEventStream(req: Request): void {
  if (!req.accepts('text/event-stream')) throw new AppError('not_acceptable', 406, 'this resource is served as text/event-stream');
}

/**
 * `GET /v1/jobs/{id}/events` and `GET /v1/batches/{id}/events`: Server-Sent Events. The object is looked up
 * first, so an unknown id is a plain 404 rather than a stream that ends at once.
 */
export function eventsRouter(ctx: ApiContext): Router {
  const r = Router();

  r.get('/v1/jobs/:id/events', async (req, res) => {
    mustAcceptEventStream(req);
    const id = req.params.id;
    if (!isValidId(id, 'job') || (await ctx.jobs.status(id)) === null) throw notFound(`no job ${id}`);
    ctx.events.follow('job', id, new SseStream(req, res), () => jobSource(ctx, id));
  });

  r.get('/v1/batches/:id/events', async (req, res) => {
    mustAcceptEventStream(req);
    const id = req.params.id;
    if (!isValidId(id, 'bat') || !(await ctx.redis.exists(ctx.batch.batches.key(id)))) throw notFound(`no batch ${id}`);
    ctx.events.follow('batch', id, new SseStream(req, res), () => batchSource(ctx, id));
  });

  return r;
}
