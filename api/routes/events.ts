import { Router, type Request } from 'express';
import { AppError, notFound } from '../../shared/errors.js';
import { isValidId } from '../../shared/ids.js';
import type { BatchStore } from '../../shared/batch-store.js';
import type { JobStore } from '../../shared/job-store.js';
import type { JobView } from '../../shared/job-types.js';
import type { EventHub } from '../sse/event-hub.js';
import { SseStream } from '../sse/sse-stream.js';
import { batchSource, jobSource } from '../sse/sources.js';

export interface EventsRoutesDeps {
  hub: EventHub;
  jobs: JobStore;
  batches: BatchStore;
  getJob: (id: string) => Promise<JobView>;
}

/** 406 for a client that says it takes only something else; no Accept at all (curl) is fine. */
function mustAcceptEventStream(req: Request): void {
  if (!req.accepts('text/event-stream')) throw new AppError('not_acceptable', 'this resource is served as text/event-stream');
}

/**
 * `GET /v1/jobs/{id}/events` and `GET /v1/batches/{id}/events`: Server-Sent Events. The object is looked up
 * first, so an unknown id is a plain 404 rather than a stream that ends at once.
 */
export function eventsRouter(deps: EventsRoutesDeps): Router {
  const r = Router();

  r.get('/v1/jobs/:id/events', async (req, res) => {
    mustAcceptEventStream(req);
    const id = req.params.id;
    if (!isValidId(id, 'job') || (await deps.jobs.status(id)) === null) throw notFound(`no job ${id}`);
    deps.hub.follow('job', id, new SseStream(req, res), () => jobSource(deps.getJob, id));
  });

  r.get('/v1/batches/:id/events', async (req, res) => {
    mustAcceptEventStream(req);
    const id = req.params.id;
    if (!isValidId(id, 'bat') || !(await deps.batches.get(id))) throw notFound(`no batch ${id}`);
    deps.hub.follow('batch', id, new SseStream(req, res), () => batchSource(deps.batches, id));
  });

  return r;
}
