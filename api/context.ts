import type { Request, RequestHandler } from 'express';
import type { JobQueue } from '../shared/queue/index.js';
import type { RedisClient } from '../shared/redis.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { JobStore } from '../shared/job-store.js';
import type { BlobStore } from '../shared/storage.js';
import type { ModelCatalog } from '../shared/model-catalog.js';
import type { Metrics } from '../shared/metrics.js';
import type { Heartbeats } from '../shared/heartbeats.js';
import type { JobWaiter } from './adapters/job-waiter.js';
import type { EventHub } from './sse/event-hub.js';
import type { ApiKeyRegistry } from './auth/api-keys.js';
import type { SubmitDeps } from './use-cases/submit-job.js';
import type { CancelDeps } from './use-cases/cancel-job.js';
import type { BatchDeps } from './use-cases/batches/index.js';
import type { UrlSubmitDeps } from './use-cases/submit-url-job.js';
import type { UrlBatchDeps } from './use-cases/url-batch.js';

/**
 * The parts the composition root (api/server.ts) built, kept together for it and for tests that reach into a
 * running API. No router sees it: api/router-deps.ts gives each router only what it uses.
 */
export interface ApiContext {
  config: Readonly<Config>;
  logger: Logger;
  redis: RedisClient;
  queue: JobQueue<'inference'>;
  jobs: JobStore;
  blobs: BlobStore;
  models: ModelCatalog;
  metrics: Metrics;
  heartbeats: Heartbeats;
  waiter: JobWaiter;
  /** Live event streams (SSE) of this process. */
  events: EventHub;
  apiKeys: ApiKeyRegistry;
  submit: SubmitDeps;
  cancel: CancelDeps;
  batch: BatchDeps;
  /** Jobs whose image is at a URL (fetched by the worker's fetch stage). */
  urls: UrlSubmitDeps;
  /** Batches made from JSON lines of image URLs. */
  urlBatch: UrlBatchDeps;
  /** multer for single-image forms (`image` or `file`). */
  upload: RequestHandler;
  /** multer for batch forms (`images`, many files). */
  batchUpload: RequestHandler;
  /** Idempotency scope of a request: the API key's id when auth is on, else one shared scope. */
  scopeOf: (req: Request) => string;
  /** Throws 400 `invalid_webhook_url` for a URL that may not be called. */
  validateWebhookUrl: (url: string) => Promise<void>;
}
