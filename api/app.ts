import express, { type Express } from 'express';
import { requestId } from './middleware/request-id.js';
import { accessLog } from './middleware/access-log.js';
import { traceRequests } from './middleware/tracing.js';
import { errorHandler, notFoundRoute } from './middleware/error-handler.js';
import { corsMiddleware } from './middleware/cors.js';
import { methodNotAllowed } from './middleware/method-not-allowed.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { requireApiKey } from './middleware/auth.js';
import { rateLimit } from './middleware/rate-limit.js';
import { redisReady } from './middleware/redis-ready.js';
import { requireToken } from './middleware/admin-auth.js';
import { jobsRouter } from './routes/jobs.js';
import { predictRouter } from './routes/predict.js';
import { modelsRouter } from './routes/models.js';
import { healthRouter } from './routes/health.js';
import { metricsRouter } from './routes/metrics.js';
import { docsRouter } from './routes/docs.js';
import { webhooksRouter } from './routes/webhooks.js';
import { batchesRouter } from './routes/batches.js';
import { eventsRouter } from './routes/events.js';
import { adminRouter } from './routes/admin.js';
import type { ApiContext } from './context.js';
import { routerDeps } from './router-deps.js';
import { connectionState } from './adapters/store-errors.js';

/** Builds the HTTP app without listening, so tests run it in-process on port 0. */
export function createApp(ctx: ApiContext): Express {
  const deps = routerDeps(ctx);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestId);
  // First, so that preflights are answered before auth and every answer (errors too) carries the CORS headers.
  const cors = corsMiddleware(ctx.config.http.corsOrigins);
  if (cors) app.use(cors);
  app.use(traceRequests);
  app.use(accessLog(ctx.logger));
  app.use(httpMetrics(ctx.metrics));
  app.use(express.json({ limit: '64kb' }));
  // Open: probes, the API reference, and (unless METRICS_TOKEN is set) metrics.
  app.use(healthRouter(deps.health));
  app.use(docsRouter());
  if (ctx.config.auth.metricsToken) app.use('/metrics', requireToken(ctx.config.auth.metricsToken, 'METRICS_TOKEN'));
  app.use(metricsRouter(ctx.metrics));
  app.use(webhooksRouter(deps.webhooks));
  // Before the API-key check: operators log in with ADMIN_TOKEN (bearer or a cookie), not an API key.
  app.use(adminRouter(deps.admin));
  // Everything else: API key (when configured), Redis up, rate limit.
  app.use(requireApiKey(ctx.apiKeys), redisReady(ctx.redis), rateLimit(ctx.redis, { ...ctx.config.rateLimit, prefix: ctx.config.redis.prefix }));
  app.use(modelsRouter(deps.models));
  app.use(jobsRouter(deps.jobs));
  app.use(predictRouter(deps.predict));
  app.use(batchesRouter(deps.batches));
  app.use(eventsRouter(deps.events));
  app.use(methodNotAllowed(app));
  app.use(notFoundRoute);
  app.use(errorHandler(ctx.logger, connectionState(ctx.redis)));
  return app;
}
