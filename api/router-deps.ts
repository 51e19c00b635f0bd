import type { ApiContext } from './context.js';
import { cancelJob } from './use-cases/cancel-job.js';
import { cancelBatch, getBatch, sealBatch } from './use-cases/batches/index.js';
import { getJob, type GetJobDeps } from './use-cases/get-job.js';
import { submitWithWait, type SubmitWithWaitDeps } from './use-cases/submit-with-wait.js';
import { predict } from './use-cases/predict.js';
import { createFormBatch, createLineBatch } from './use-cases/batches/create.js';
import { appendOnce } from './use-cases/batches/append-once.js';
import { listBatchJobs } from './use-cases/batches/list-jobs.js';
import { batchResults } from './use-cases/batches/results.js';
import type { JobsRoutesDeps } from './routes/jobs.js';
import type { PredictRoutesDeps } from './routes/predict.js';
import type { BatchesRoutesDeps } from './routes/batches.js';
import type { EventsRoutesDeps } from './routes/events.js';
import type { HealthRoutesDeps } from './routes/health.js';
import type { ModelsRoutesDeps } from './routes/models.js';
import type { WebhooksRoutesDeps } from './routes/webhooks.js';
import type { AdminRoutesDeps } from './routes/admin.js';

export interface RouterDeps {
  health: HealthRoutesDeps;
  models: ModelsRoutesDeps;
  webhooks: WebhooksRoutesDeps;
  admin: AdminRoutesDeps;
  jobs: JobsRoutesDeps;
  predict: PredictRoutesDeps;
  batches: BatchesRoutesDeps;
  events: EventsRoutesDeps;
}

/** Each router's dependencies, made of the parts the composition root built: a router sees only what it uses. */
export function routerDeps(ctx: ApiContext): RouterDeps {
  const { config, redis, jobs, models } = ctx;
  const read: GetJobDeps = { jobs, queuePosition: (id) => ctx.queue.position(id) };
  const submit: SubmitWithWaitDeps = { ...read, waiter: ctx.waiter, submit: ctx.submit, urls: ctx.urls, validateWebhookUrl: ctx.validateWebhookUrl };
  const single = { admit: ctx.submit.admit, upload: ctx.upload, scopeOf: ctx.scopeOf };
  const batch = ctx.batch;
  return {
    health: { redis, heartbeats: ctx.heartbeats, defaultModel: models.defaultName },
    models: { models, batching: { max_batch_size: config.batch.maxSize, max_delay_ms: config.batch.maxDelayMs } },
    webhooks: { redis, prefix: config.redis.prefix, configuredSecret: config.webhooks.secret, adminToken: config.adminToken },
    admin: { adminToken: config.adminToken, queue: ctx.queue.bull, config, redis },
    jobs: {
      ...single,
      maxWaitSeconds: config.http.maxWaitSeconds,
      submit: (s, wait) => submitWithWait(submit, s, wait),
      getJob: (id) => getJob(read, id),
      cancel: (id, requestId) => cancelJob(ctx.cancel, id, requestId),
    },
    predict: { ...single, timeoutSeconds: config.http.predictTimeoutSeconds, predict: (s, wait) => predict(submit, s, wait) },
    batches: {
      admit: ctx.submit.admit,
      upload: ctx.batchUpload,
      scopeOf: ctx.scopeOf,
      createFromForm: (r, files) => createFormBatch(batch, ctx.validateWebhookUrl, r, files),
      createFromLines: (r, lines) => createLineBatch(ctx.urlBatch, ctx.validateWebhookUrl, r, lines),
      append: (r) => appendOnce({ batch, idempotency: ctx.submit.idempotency }, r),
      seal: (id) => sealBatch(batch, id),
      cancel: (id) => cancelBatch(batch, id),
      get: (id) => getBatch(batch, id),
      results: (id, format) => batchResults(batch, id, format),
      listJobs: (id, q) => listBatchJobs(batch, id, q),
    },
    events: { hub: ctx.events, jobs, batches: batch.batches, getJob: (id) => getJob(read, id) },
  };
}
