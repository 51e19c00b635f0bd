import { Router } from 'express';
import { writeMetrics } from '../../shared/metrics-exposition.js';
import type { Registry } from 'prom-client';

export function metricsRouter(deps: { registry: Registry }): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    const { contentType, body } = await writeMetrics(deps.registry, req.get('accept'));
    res.setHeader('Content-Type', contentType);
    res.setHeader('Vary', 'Accept');
    res.send(body);
  });
  return r;
}
