import type { RequestHandler } from 'express';
import type { Metrics } from '../../shared/metrics.js';

/** Times every request, labelled by the route template (never the raw URL, whose ids are unbounded). */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
    next();
  };
}
