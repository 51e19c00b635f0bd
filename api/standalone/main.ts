import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../../shared/config-or-exit.js';
import { createLogger } from '../../shared/logger.js';
import { loadManifest } from '../../shared/model-manifest.js';
import { ensureModelFiles } from '../../models/fetch-models.js';
import { redisAnswers } from '../../shared/redis-answers.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
import { writeWebhookSecretFile } from './webhook-secret-file.js';
import { chooseMetricsPorts } from './metrics-ports.js';
import { Supervisor } from './supervisor.js';

/**
 * `npm start`: the whole service on one machine. Uses the configured Redis (URL, Sentinel or Cluster), else a Redis on 127.0.0.1:6379, else starts
 * its own; fetches missing model files; then runs the API and STANDALONE_WORKERS workers as child processes
 * (separate processes use the cores better than threads in one), restarts a worker that dies, gives up on one
 * that keeps failing at start, and stops everything on SIGINT/SIGTERM.
 */
const config = loadConfigOrExit('launcher');
const logger = createLogger(config.logLevel, { role: 'launcher' });
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const entry = (rel: string) => fileURLToPath(new URL(`${rel}.${ext}`, import.meta.url));

let redis: EmbeddedRedis | null = null;
let stopping = false;
const supervisor = new Supervisor({
  logger,
  onFatal: (reason) => {
    logger.fatal({ reason }, `inferq stops: ${reason}`);
    void shutdown(1);
  },
});

async function main() {
  const manifest = loadManifest(config.models.manifest);
  await ensureModelFiles({ manifest, names: config.models.served, modelsDir: config.models.dir, mirror: config.models.mirror, log: (m) => logger.info(m) });

  let spec = config.redis.spec;
  if (!spec && (await redisAnswers('redis://127.0.0.1:6379', 500))) spec = { kind: 'url', url: 'redis://127.0.0.1:6379' };
  if (!spec) {
    redis = await startEmbeddedRedis(config.dataDir);
    spec = { kind: 'url', url: redis.url };
    logger.info({ url: redis.url, data: config.dataDir }, 'started an embedded redis-server');
  } else {
    logger.info({ redis: spec.kind === 'url' ? spec.url.replace(/\/\/[^@]*@/, '//***@') : spec.kind }, 'using redis');
  }
  await writeWebhookSecretFile(config, spec, logger);
  // sharp decodes on libuv's pool: 4 threads beat the default on 2 cores (PERFORMANCE.md). Sentinel and Cluster
  // settings reach the children as they were given; a found or embedded Redis as REDIS_URL.
  const env = { UV_THREADPOOL_SIZE: '4', ...process.env, ...(spec.kind === 'url' ? { REDIS_URL: spec.url } : {}) };
  supervisor.start({ name: 'api', file: entry('../main'), env, restart: false });
  // One worker process per core (each with one inference thread) used two cores best here; each gets its
  // own metrics port after the first, or a free one when that is taken (the workers' /health and the API's
  // /ready report the ports in use).
  const ports = await chooseMetricsPorts(config.worker.metricsPort, config.standaloneWorkers, config.http.host);
  ports.forEach(({ configured, port }, i) => {
    const name = `worker-${i + 1}`;
    if (port !== configured) {
      logger.warn({ child: name, configured_port: configured, metrics_port: port }, `${name}: metrics port ${configured} is taken, using ${port} (set WORKER_METRICS_PORT to choose)`);
    }
    supervisor.start({ name, file: entry('../../worker/main'), env: { ...env, WORKER_METRICS_PORT: String(port) }, restart: true });
  });
}

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await supervisor.stopAll();
  await redis?.stop();
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  logger.fatal({ err: err instanceof Error ? err.message : err }, 'inferq failed to start');
  await shutdown(1);
});
