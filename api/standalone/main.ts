import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../../shared/config-or-exit.js';
import { createLogger } from '../../shared/logger.js';
import { loadManifest } from '../../shared/model-manifest.js';
import { ensureModelFiles } from '../../models/fetch-models.js';
import { redisAnswers, startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
import { writeWebhookSecretFile } from './webhook-secret-file.js';

/**
 * `npm start`: the whole service on one machine. Uses the configured Redis (URL, Sentinel or Cluster), else a Redis on 127.0.0.1:6379, else starts
 * its own; fetches missing model files; then runs the API and STANDALONE_WORKERS workers as child processes
 * (separate processes use the cores better than threads in one), restarts a worker that dies, and stops
 * everything on SIGINT/SIGTERM.
 */
const config = loadConfigOrExit('launcher');
const logger = createLogger(config.logLevel, { role: 'launcher' });
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const entry = (rel: string) => fileURLToPath(new URL(`${rel}.${ext}`, import.meta.url));

let redis: EmbeddedRedis | null = null;
let stopping = false;
const children = new Map<string, ChildProcess>();

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
  run('api', entry('../main'), env, false);
  // One worker process per core (each with one inference thread) used two cores best here; each gets its
  // own metrics port after the first.
  for (let i = 0; i < config.standaloneWorkers; i++) {
    const port = config.worker.metricsPort === 0 ? 0 : config.worker.metricsPort + i;
    run(`worker-${i + 1}`, entry('../../worker/main'), { ...env, WORKER_METRICS_PORT: String(port) }, true);
  }
}

function run(name: string, file: string, env: NodeJS.ProcessEnv, restart: boolean, attempt = 0) {
  const child = spawn(process.execPath, [...process.execArgv, file], { env, stdio: 'inherit' });
  children.set(name, child);
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    logger.error({ child: name, code, signal }, 'child process exited');
    if (!restart) return void shutdown(1);
    // A worker that keeps dying right after start would spin: back off up to 30 s.
    const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
    setTimeout(() => run(name, file, env, restart, next), Math.min(30_000, 500 * 2 ** next));
  });
}

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    [...children.values()].map(
      (c) => new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      }),
    ),
  );
  await redis?.stop();
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  logger.fatal({ err: err instanceof Error ? err.message : err }, 'inferq failed to start');
  await shutdown(1);
});
