import { Router } from 'express';
import type { Heartbeats } from '../../shared/heartbeats.js';

export interface HealthRoutesDeps {
  /** The producer connection, asked whether Redis answers. */
  redis: { ping(): Promise<unknown> };
  heartbeats: Pick<Heartbeats, 'alive' | 'describe'>;
  /** The model whose workers readiness asks for. */
  defaultModel: string;
}

export function healthRouter(deps: HealthRoutesDeps): Router {
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
      await deps.redis.ping();
      workers = await deps.heartbeats.alive(deps.defaultModel);
      // Where to scrape them: `npm start` moves a worker off a taken WORKER_METRICS_PORT.
      metricsPorts = (await deps.heartbeats.describe(deps.defaultModel)).map((w) => w.metrics_port).sort((a, b) => a - b);
      if (workers === 0 && needWorkers) reasons.push(`no live worker for model ${deps.defaultModel}`);
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
