import type { AddressInfo } from 'node:net';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { createRedis, refuseMisreadTopology, waitForRedis, warnUnlessNoEviction } from '../shared/redis.js';
import { JobStore } from '../shared/job-store.js';
import { BatchStore } from '../shared/batch-store.js';
import { openBlobStore } from '../shared/storage.js';
import { ModelCatalog } from '../shared/model-catalog.js';
import { createMetrics } from '../shared/metrics.js';
import { Heartbeats } from '../shared/heartbeats.js';
import { openQueues } from '../shared/queue/index.js';
import { JobLifecycle } from '../shared/job-lifecycle.js';
import { Closers } from '../shared/shutdown.js';
import { JobWaiter } from './adapters/job-waiter.js';
import { EventHub } from './sse/event-hub.js';
import { registerStreamGauge } from './sse/stream-gauge.js';
import { IdempotencyStore } from './adapters/idempotency-store.js';
import { uploadMiddleware } from './middleware/upload.js';
import { registerQueueMetrics } from './queue-metrics.js';
import { webhookUrlValidator } from './webhook-url.js';
import { createApp } from './app.js';
import { markStoreFailures } from './adapters/store-errors.js';
import { createHttpServer } from './http-server.js';
import { ApiKeyRegistry } from './auth/api-keys.js';
import { Admission } from './backpressure.js';
import { startDeadlineSweep } from './deadline-sweep.js';
import { WebhookNotifier } from '../shared/webhook-notifier.js';
import type { ApiContext } from './context.js';
import { ResultCache } from '../shared/result-cache.js';
import { listen } from '../shared/listen.js';

export interface RunningApi {
  url: string;
  ctx: ApiContext;
  close: () => Promise<boolean>;
}

/** The API's composition root: config → redis → stores → app → listen; closers run in reverse. */
export async function startApi(config: Readonly<Config>, logger: Logger): Promise<RunningApi> {
  const spec = config.redis.spec;
  if (!spec) throw new Error('REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES is required to run the API on its own (npm start embeds one)');
  const closers = new Closers();
  const redis = createRedis(spec, 'producer', logger);
  // Its commands' failures are the queue store's: the error handler answers them 503 (adapters/store-errors.ts).
  markStoreFailures(redis);
  closers.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  // The producer connection fails fast, so wait for it once at boot rather than failing the first requests.
  await waitForRedis(redis, 30_000);
  await refuseMisreadTopology(redis, spec);
  await warnUnlessNoEviction(redis, logger);
  const subscriber = createRedis(spec, 'subscriber', logger);
  closers.add('subscriber', () => subscriber.quit().catch(() => subscriber.disconnect()));

  const models = ModelCatalog.fromConfig(config);
  const blobs = await openBlobStore(config, logger);
  const jobs = new JobStore(redis, config.redis.prefix, config.retentionSeconds);
  // The queue adapter, built once: every use case below takes its queues from here.
  const { inference: queue, fetch: fetchQueue, webhooks: webhookQueue } = openQueues(config, redis);
  closers.add('queue', () => queue.close());
  closers.add('fetch-queue', () => fetchQueue.close());
  closers.add('webhook-queue', () => webhookQueue.close());
  const metrics = createMetrics('api');
  const heartbeats = new Heartbeats(redis, config.redis.prefix, config.worker.heartbeatTtlSeconds);
  registerQueueMetrics(metrics, [queue, webhookQueue, fetchQueue], redis, heartbeats, models.list().map((m) => m.name));
  const waiter = new JobWaiter(subscriber, jobs.channel);
  await waiter.start();
  // The same subscriber connection and channel as the waiter: still one subscription per process.
  const events = new EventHub(subscriber, jobs.channel, { keepAliveMs: config.http.sseKeepAliveMs });
  await events.start();
  registerStreamGauge(metrics, events);
  const idempotency = new IdempotencyStore(redis, config.redis.prefix);

  const admission = new Admission(queue, config.backpressure.highWater, config.backpressure.lowWater);
  const admit = () => admission.admit();
  const batches = new BatchStore(redis, config.redis.prefix, config.retentionSeconds);
  const notifier = new WebhookNotifier(webhookQueue, batches);
  const onBatchCompleted = (id: string) => notifier.batchEnded(id);
  const lifecycle = new JobLifecycle({ jobs, blobs, metrics, events: notifier });
  const resultCache = config.resultCacheSeconds > 0
    ? { cache: new ResultCache(redis, config.redis.prefix, config.resultCacheSeconds), metrics, lifecycle }
    : undefined;
  const guard = { allowedHosts: config.outbound.allowedHosts };
  const batchDeps = { batches, jobs, blobs, queue, fetchQueue, lifecycle, models, metrics, maxPixels: config.uploads.maxPixels, onBatchCompleted, resultCache };
  const ctx: ApiContext = {
    config, logger, redis, queue, jobs, blobs, models, metrics, heartbeats, waiter, events,
    apiKeys: new ApiKeyRegistry(config.auth.apiKeys, config.auth.apiKeysFile),
    submit: { jobs, blobs, queue, models, idempotency, metrics, maxPixels: config.uploads.maxPixels, admit, resultCache },
    cancel: { jobs, queue, fetchQueue, lifecycle },
    batch: batchDeps,
    urls: { jobs, fetchQueue, models, idempotency, metrics, guard },
    urlBatch: { ...batchDeps, fetchQueue, guard, maxLines: config.outbound.maxBatchLines },
    upload: uploadMiddleware(blobs, { maxBytes: config.uploads.maxBytes, maxFiles: 1, fileFields: ['image', 'file'] }),
    batchUpload: uploadMiddleware(blobs, { maxBytes: config.uploads.maxBytes, maxFiles: config.uploads.maxBatchFiles, fileFields: ['images', 'image', 'file'] }),
    scopeOf: (req) => req.apiKeyName ?? 'public',
    validateWebhookUrl: webhookUrlValidator(guard),
  };
  const stopSweep = startDeadlineSweep({ jobs, queue, lifecycle, logger });
  closers.add('deadline-sweep', stopSweep);
  const server = createHttpServer(createApp(ctx), logger);
  await listen(server, config.http.port, config.http.host, 'PORT');
  closers.add('http', () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  }));
  // Registered after the server, so it runs before it: open streams would keep server.close() waiting.
  closers.add('event-streams', () => events.close());
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url, models: models.list().map((m) => m.name) }, 'api listening');
  return { url, ctx, close: () => closers.closeAll(10_000, logger) };
}
