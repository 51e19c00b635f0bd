import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config, RedisSpec } from '../../shared/config.js';
import { createRedis, waitForRedis } from '../../shared/redis.js';
import type { Logger } from '../../shared/logger.js';
import { webhookSecret } from '../../shared/webhook-secret.js';

/**
 * In the one-machine mode there is often no ADMIN_TOKEN, so the operator gets the webhook signing secret as a
 * file only they can read (0600) under DATA_DIR, instead of in a log line.
 */
export async function writeWebhookSecretFile(config: Readonly<Config>, spec: RedisSpec, logger: Logger): Promise<void> {
  if (config.webhooks.secret) return;
  // Fail fast (the producer role) rather than hang the launcher on a Redis that is not there.
  const redis = createRedis(spec, 'producer', logger);
  try {
    await waitForRedis(redis, 10_000);
    const secret = await webhookSecret(redis, config.redis.prefix, undefined);
    const file = path.join(config.dataDir, 'webhook-secret');
    await fs.mkdir(config.dataDir, { recursive: true });
    await fs.writeFile(file, secret + '\n', { mode: 0o600 });
    await fs.chmod(file, 0o600);
    logger.info({ file }, 'webhook signing secret (generated, kept in Redis) written to this file');
  } finally {
    redis.disconnect();
  }
}
