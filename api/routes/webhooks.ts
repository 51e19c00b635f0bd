import { Router } from 'express';
import { requireAdmin } from '../middleware/admin-auth.js';
import { webhookSecret } from '../../shared/webhook-secret.js';
import type { ApiContext } from '../context.js';

/** The signing secret receivers verify with; operators only (ADMIN_TOKEN). */
export function webhooksRouter(ctx: ApiContext): Router {
  const r = Router();
  r.get('/v1/webhooks/secret', requireAdmin(ctx.config.adminToken), async (_req, res) => {
    const secret = await webhookSecret(ctx.redis, ctx.config.redis.prefix, ctx.config.webhooks.secret);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ secret, source: ctx.config.webhooks.secret ? 'config' : 'generated' });
  });
  return r;
}
