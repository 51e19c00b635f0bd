import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { createRedis, refuseMisreadTopology, warnUnlessNoEviction } from '../shared/redis.js';
import { JobStore } from '../shared/job-store.js';
import { BatchStore } from '../shared/batch-store.js';
import { openBlobStore } from '../shared/storage.js';
import { withReadRetries } from './blob-retry.js';
import { ModelCatalog } from '../shared/model-catalog.js';
import { createMetrics } from '../shared/metrics.js';
import { Heartbeats } from '../shared/heartbeats.js';
import { QUEUES, createConsumer, openQueue } from '../shared/queue/index.js';
import { JobLifecycle } from '../shared/job-lifecycle.js';
import { Closers } from '../shared/shutdown.js';
import { ensureModelFiles } from '../models/fetch-models.js';
import { loadManifest } from '../shared/model-manifest.js';
import { ModelRegistry } from './model-registry.js';
import { createProcessor, failJob, type ProcessDeps } from './process-job.js';
import { ResultReuse } from './result-reuse.js';
import { ResultCache } from '../shared/result-cache.js';
import { startMetricsServer } from './metrics-server.js';
import { createWebhookWorker } from './webhook-worker.js';
import { WebhookNotifier } from '../shared/webhook-notifier.js';
import { webhookSecret } from '../shared/webhook-secret.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { recordSpan } from '../shared/tracing.js';
import { tracedProcessor } from './traced-processor.js';
import { createFetchConsumer } from './fetch-consumer.js';

export interface RunningWorker {
  id: string;
  metricsPort: number;
  /** Graceful: stop taking jobs, finish those in hand, within the shutdown budget. Resolves true if in time. */
  close: () => Promise<boolean>;
}

/** The worker's composition root: models → redis → BullMQ worker → heartbeat → metrics server. */
export async function startWorker(config: Readonly<Config>, logger: Logger): Promise<RunningWorker> {
  const spec = config.redis.spec;
  if (!spec) throw new Error('REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES is required to run a worker on its own (npm start embeds one)');
  const id = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger.child({ worker_id: id });
  const closers = new Closers();
  const metrics = createMetrics('worker', { exemplars: Boolean(config.tracing.otlpEndpoint) });
  // First, before the models load: a taken port fails the start at once, with a message naming it.
  let served: string[] = [];
  let status: 'starting' | 'ok' = 'starting';
  const http = await startMetricsServer(metrics.registry, config.worker.metricsPort, config.http.host, () => ({ status, worker_id: id, models: served }));
  closers.add('metrics-server', () => http.close());

  const catalog = ModelCatalog.fromConfig(config);
  await ensureModelFiles({
    manifest: loadManifest(config.models.manifest),
    names: catalog.list().map((m) => m.name),
    modelsDir: config.models.dir,
    mirror: config.models.mirror,
    log: (msg) => log.info(msg),
  });
  const models = await ModelRegistry.load(catalog.list(), {
    modelsDir: config.models.dir,
    threads: config.worker.inferenceThreads,
    batch: config.batch,
    onFlush: (model, e) => {
      log.info({ model, batch_size: e.size, reason: e.reason, inference_ms: Math.round(e.durationMs * 10) / 10 }, 'batch run');
      // Its own trace, linked to the span of every job in the batch (one run serves many traces).
      const end = Date.now();
      recordSpan('batch run', end - e.durationMs, end, { links: e.links.map((context) => ({ context })), attributes: { 'inferq.model': model, 'inferq.batch_size': e.size, 'inferq.flush_reason': e.reason } }, ROOT_CONTEXT);
      metrics.batchFlushes.inc({ model, reason: e.reason });
      metrics.batchSize.observe({ model }, e.size);
      metrics.batchInference.observe({ model }, e.durationMs / 1000);
    },
  });
  closers.add('models', () => models.release());
  served = models.names;
  let closing = false;

  const redis = createRedis(spec, 'worker', log);
  closers.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  await refuseMisreadTopology(redis, spec);
  void warnUnlessNoEviction(redis, log);
  const blobs = withReadRetries(await openBlobStore(config, log), { budgetMs: config.storage.readRetryMs, log, isClosing: () => closing });
  const jobs = new JobStore(redis, config.redis.prefix, config.retentionSeconds);
  const heartbeats = new Heartbeats(redis, config.redis.prefix, config.worker.heartbeatTtlSeconds);
  const webhookQueue = openQueue(QUEUES.webhooks, config, redis);
  closers.add('webhook-queue', () => webhookQueue.close());
  const batches = new BatchStore(redis, config.redis.prefix, config.retentionSeconds);
  const notifier = new WebhookNotifier(webhookQueue, batches);
  const lifecycle = new JobLifecycle({ jobs, blobs, metrics, events: notifier });
  const deps: ProcessDeps = {
    jobs, blobs, models, metrics, logger: log, maxPixels: config.uploads.maxPixels, crashOnSha256: config.faults.crashOnSha256,
    lifecycle,
    onStarted: (job, requestId) => notifier.jobChanged(job, 'processing', requestId),
    isClosing: () => closing,
    reuse: config.resultCacheSeconds > 0 ? new ResultReuse(new ResultCache(redis, config.redis.prefix, config.resultCacheSeconds), metrics) : undefined,
  };

  const worker = createConsumer(QUEUES.inference, tracedProcessor(createProcessor(deps)), config, redis, {
    concurrency: config.worker.concurrency,
    // lockDuration must exceed the longest wait for a batch slot plus a batch run, or a healthy job is taken
    // for stalled and runs twice; inference runs off the event loop, so renewals are not delayed by it.
    lockDurationMs: config.worker.lockDurationMs,
    stalledIntervalMs: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
  });
  worker.onFailed((job, _err, { stalled }) => {
    // Jobs that stalled too often fail without their processor running: store that failure here.
    if (stalled) {
      log.warn({ job_id: job.data.jobId, request_id: job.data.requestId }, 'job failed: it stalled repeatedly (its worker died running it)');
      failJob(deps, job, { code: 'worker_crashed', message: 'the job stalled repeatedly (its worker died while running it)' })
        .catch((err: unknown) => log.warn({ err, job_id: job.data.jobId }, 'could not store the failure of a job that stalled repeatedly: it stays until retention'));
    }
  });
  worker.onError((err) => log.warn({ err: err.message }, 'worker error'));
  closers.add('bullmq-worker', async () => {
    // Stop fetching, let the jobs in hand finish; their batches run without waiting for the delay.
    closing = true;
    const closed = worker.close();
    await models.close();
    await closed;
  });

  const webhooks = createWebhookWorker({
    redis, config, jobs, metrics, logger: log.child({ component: 'webhooks' }),
    secret: await webhookSecret(redis, config.redis.prefix, config.webhooks.secret),
    loadBatch: (id) => batches.get(id),
  });
  webhooks.onError((err) => log.warn({ err: err.message }, 'webhook worker error'));
  closers.add('webhook-worker', () => webhooks.close());

  // The fetch stage of image_url jobs: its own consumer and concurrency, never an inference slot.
  const inference = openQueue(QUEUES.inference, config, redis);
  closers.add('inference-queue', () => inference.close());
  const fetcher = createFetchConsumer({
    config, redis, jobs, blobs, logger: log.child({ component: 'fetch' }), inference, lifecycle,
  });
  fetcher.onError((err) => log.warn({ err: err.message }, 'fetch worker error'));
  closers.add('fetch-worker', () => fetcher.close());

  const beat = () => heartbeats.beat(id, models.names, { metrics_port: http.port }).catch(() => undefined);
  await beat();
  const timer = setInterval(beat, Math.max(1000, (config.worker.heartbeatTtlSeconds * 1000) / 3));
  closers.add('heartbeat', async () => {
    clearInterval(timer);
    await heartbeats.leave(id, models.names).catch(() => undefined);
  });

  const sweep = setInterval(() => {
    blobs.sweep(config.retentionSeconds * 1000).catch((err) => log.warn({ err }, 'blob sweep failed'));
  }, 10 * 60_000);
  sweep.unref();
  closers.add('sweep', () => clearInterval(sweep));

  void worker.run();
  void webhooks.run();
  void fetcher.run();
  status = 'ok';
  log.info({ models: models.names, concurrency: config.worker.concurrency, batch: config.batch, metrics_port: http.port }, 'worker started');
  const close = () => {
    // From the first moment of shutdown, not when the BullMQ closer's turn comes: the closers before it (metrics,
    // heartbeat, webhooks) take time, and a job fetched meanwhile must go back untouched, not run (R3).
    closing = true;
    return closers.closeAll(config.worker.shutdownTimeoutMs, log);
  };
  return { id, metricsPort: http.port, close };
}
