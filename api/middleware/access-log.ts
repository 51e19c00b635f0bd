import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../shared/logger.js';

// Polled by orchestrators and Prometheus every few seconds: at info they would drown the real traffic.
const PROBES = new Set(['/health', '/ready', '/metrics']);

/**
 * One access line per request (on the process's root logger, with the request's `request_id`), written when
 * the response ends: method, route template (never the raw URL: ids are unbounded and `?token=` is a secret),
 * status, duration, response bytes, request id and the API key's name. No headers, bodies or filenames. Probes
 * log at debug, 5xx at error, everything else at info.
 *
 * The same lines pino-http wrote with `quietReqLogger`/`quietResLogger`, without its per-request work nothing
 * read: two child loggers per request, one of them serialising the whole request (headers included) into its
 * bindings, ~3 % of the API's CPU per job (docs/performance.md, session 3 second pass). The request id
 * middleware runs first.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = Date.now();
    const done = (err?: unknown) => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      res.removeListener('error', done);
      const failed = err !== undefined || res.statusCode >= 500;
      const level = PROBES.has(req.path) ? 'debug' : failed ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const message = failed ? 'request failed' : res.writableEnded && !req.readableAborted ? 'request completed' : 'request aborted';
      logger.child({ request_id: req.id })[level](line(req, res, Date.now() - start), message);
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
    next();
  };
}

function line(request: IncomingMessage, response: ServerResponse, durationMs: number) {
  const req = request as Request;
  const res = response as Response;
  const length = Number(res.getHeader('content-length'));
  return {
    method: req.method,
    route: req.route?.path ? String(req.route.path) : 'unmatched',
    status: res.statusCode,
    duration_ms: durationMs,
    bytes: Number.isFinite(length) ? length : undefined,
    req_bytes: Number(req.headers['content-length']) || undefined,
    api_key: req.apiKeyName,
    // Set by the error handler on a refused request: the `error.code` the client got.
    error_code: res.locals.errorCode as string | undefined,
    // With tracing on: the trace this request belongs to (api/middleware/tracing.ts).
    trace_id: res.locals.traceId as string | undefined,
  };
}
