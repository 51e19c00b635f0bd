import { randomBytes } from 'node:crypto';
import type { RedisClient } from './redis.js';

/**
 * The signing secret: WEBHOOK_SECRET when configured; otherwise one generated on first use and kept in Redis
 * (SET NX, so every API and worker process agrees on it). Operators read it with `GET /v1/webhooks/secret`
 * (ADMIN_TOKEN) or `npm run webhook-secret`.
 */
export async function webhookSecret(redis: RedisClient, prefix: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const key = `${prefix}:webhook-secret`;
  const fresh = `whsec_${randomBytes(24).toString('base64')}`;
  await redis.set(key, fresh, 'NX');
  return (await redis.get(key))!;
}
