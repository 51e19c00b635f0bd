import { Router } from 'express';
import { requireAdmin } from '../middleware/admin-auth.js';
import { webhookSecret } from '../../shared/webhook-secret.js';
import type { RedisClient } from '../../shared/redis.js';

export interface WebhooksRoutesDeps {
  redis: RedisClient;
  prefix: string;
  /** WEBHOOK_SECRET when configured; else a secret generated once and kept in Redis. */
  configuredSecret?: string;
  adminToken?: string;
}

/** The signing secret receivers verify with; operators only (ADMIN_TOKEN). */
export function webhooksRouter(deps: WebhooksRoutesDeps): Router {
  const r = Router();
  r.get('/v1/webhooks/secret', requireAdmin(deps.adminToken), async (_req, res) => {
    const secret = await webhookSecret(deps.redis, deps.prefix, deps.configuredSecret);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ secret, source: deps.configuredSecret ? 'config' : 'generated' });
  });
  return r;
}
