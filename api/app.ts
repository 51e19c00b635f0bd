import express, { type Express } from 'express';
import { requestId } from './middleware/request-id.js';
import { errorHandler, notFoundRoute } from './middleware/error-handler.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { jobsRouter } from './routes/jobs.js';
import { predictRouter } from './routes/predict.js';
import { modelsRouter } from './routes/models.js';
import { healthRouter } from './routes/health.js';
import { metricsRouter } from './routes/metrics.js';
import { docsRouter } from './routes/docs.js';
import { webhooksRouter } from './routes/webhooks.js';
import { batchesRouter } from './routes/batches.js';
import type { ApiContext } from './context.js';

/** Builds the HTTP app without listening, so tests run it in-process on port 0. */
export function createApp(ctx: ApiContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestId);
  app.use(httpMetrics(ctx.metrics));
  app.use(express.json({ limit: '64kb' }));
  app.use(healthRouter(ctx));
  app.use(metricsRouter(ctx));
  app.use(docsRouter());
  app.use(modelsRouter(ctx));
  app.use(jobsRouter(ctx));
  app.use(predictRouter(ctx));
  app.use(webhooksRouter(ctx));
  app.use(batchesRouter(ctx));
  app.use(notFoundRoute);
  app.use(errorHandler(ctx.logger));
  return app;
}
