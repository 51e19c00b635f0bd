import { Router } from 'express';
import type { ApiContext } from '../context.js';

export function healthRouter(ctx: ApiContext): Router {
  const r = Router();
  // Liveness: the process answers. Never touches Redis, so a Redis outage does not get the API restarted.
  r.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: Redis answers and a worker for the default model reported in recently. `?workers=optional` drops
  // the worker condition, for API replicas behind a worker autoscaler that scales to zero: an API taken out of
  // its Service for want of workers could never receive the jobs that bring the first worker up.
  r.get('/ready', async (req, res) => {
    const needWorkers = req.query.workers !== 'optional';
    const reasons: string[] = [];
    let workers = 0;
    let metricsPorts: number[] = [];
    try {
      await ctx.redis.ping();
      workers = await ctx.heartbeats.alive(ctx.models.defaultName);
      // Where to scrape them: `npm start` moves a worker off a taken WORKER_METRICS_PORT.
      metricsPorts = (await ctx.heartbeats.describe(ctx.models.defaultName)).map((w) => w.metrics_port).sort((a, b) => a - b);
      if (workers === 0 && needWorkers) reasons.push(`no live worker for model ${ctx.models.defaultName}`);
    } catch {
      reasons.push('redis unreachable');
    }
    if (reasons.length) {
      res.setHeader('Retry-After', '1');
      res.status(503).json({ status: 'not_ready', reasons, error: { code: 'not_ready', message: reasons.join('; ') } });
      return;
    }
    res.json({ status: 'ready', workers, worker_metrics_ports: metricsPorts });
  });
  return r;
}
