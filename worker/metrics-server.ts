import http from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from '../shared/listen.js';
import { writeMetrics } from '../shared/metrics-exposition.js';

/**
 * A worker's own `/metrics` and `/health`, on WORKER_METRICS_PORT (Prometheus scrapes every replica). Bound first
 * thing at start, so a taken port fails the start before any model loads.
 */
export async function startMetricsServer(registry: Registry, port: number, host: string, health: () => { status: 'starting' | 'ok' }) {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      const { contentType, body } = await writeMetrics(registry, req.headers.accept);
      res.setHeader('Content-Type', contentType);
      res.end(body);
    } else if (req.url === '/health') {
      // 503 while the worker is still loading its models: healthy means it takes jobs.
      const h = health();
      res.statusCode = h.status === 'ok' ? 200 : 503;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(h));
    } else {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'try /metrics or /health' } }));
    }
  });
  const bound = await listen(server, port, host, 'WORKER_METRICS_PORT');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
