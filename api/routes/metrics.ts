import { Router } from 'express';
import { writeMetrics } from '../../shared/metrics-exposition.js';
import type { ApiContext } from '../context.js';

export function metricsRouter(ctx: ApiContext): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    const { contentType, body } = await writeMetrics(ctx.metrics.registry, req.get('accept'));
    res.setHeader('Content-Type', contentType);
    res.setHeader('Vary', 'Accept');
    res.send(body);
  });
  return r;
}
