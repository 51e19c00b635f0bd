import http from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from '../shared/listen.js';
import { writeMetrics } from '../shared/metrics-exposition.js';

/** A worker's own `/metrics` and `/health`, on WORKER_METRICS_PORT (Prometheus scrapes every replica). */
export async function startMetricsServer(registry: Registry, port: number, host: string, health: () => object) {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      const { contentType, body } = await writeMetrics(registry, req.headers.accept);
      res.setHeader('Content-Type', contentType);
      res.end(body);
    } else if (req.url === '/health') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', ...health() }));
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
