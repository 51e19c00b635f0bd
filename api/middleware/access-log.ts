import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../shared/logger.js';

// Polled by orchestrators and Prometheus every few seconds: at info they would drown the real traffic.
const PROBES = new Set(['/health', '/ready', '/metrics']);

/**
 * One access line per request (pino-http, on the process's root logger), written when the response ends:
 * method, route template (never the raw URL: ids are unbounded and `?token=` is a secret), status, duration,
 * response bytes, request id and the API key's name. No headers, bodies or filenames. Probes log at debug,
 * 5xx at error, everything else at info.
 */
export function accessLog(logger: Logger) {
  return pinoHttp({
    logger,
    // The request id middleware runs first; pino-http keeps its `req.id`.
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'request_id' },
    customLogLevel: (req, res, err) => {
      if (PROBES.has((req as Request).path)) return 'debug';
      return err || res.statusCode >= 500 ? 'error' : 'info';
    },
    customSuccessObject: (req, res, val: { responseTime: number }) => line(req, res, val.responseTime),
    // The error handler has already logged the error itself; this is the access line of the 5xx.
    customErrorObject: (req, res, _err, val: { responseTime: number }) => line(req, res, val.responseTime),
    customSuccessMessage: (req, res) => (res.writableEnded && !req.readableAborted ? 'request completed' : 'request aborted'),
    customErrorMessage: () => 'request failed',
  });
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
