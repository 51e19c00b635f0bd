import { Router } from 'express';
import type { ApiContext } from '../context.js';

export function metricsRouter(ctx: ApiContext): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', ctx.metrics.registry.contentType);
    res.send(await ctx.metrics.registry.metrics());
  });
  return r;
}
