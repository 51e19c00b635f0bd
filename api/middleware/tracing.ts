import type { RequestHandler } from 'express';
import { SpanKind, contextFrom, setSpan, startSpan, withContext } from '../../shared/tracing.js';

/**
 * The HTTP server span of each request: continues the client's W3C `traceparent`/`tracestate` when it sends
 * them, else starts a trace. Everything the request does (the enqueue, the job's trace context in its payload)
 * runs inside it. A no-op while tracing is off.
 */
export const traceRequests: RequestHandler = (req, res, next) => {
  const parent = contextFrom(req.headers);
  const span = startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'inferq.request_id': req.id } }, parent);
  const { traceId } = span.spanContext();
  if (span.isRecording()) res.locals.traceId = traceId;
  res.once('close', () => {
    const route = req.route?.path ? String(req.route.path) : 'unmatched';
    span.updateName(`${req.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500) span.setStatus({ code: 2 });
    span.end();
  });
  withContext(setSpan(parent, span), next);
};
