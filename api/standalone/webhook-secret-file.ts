import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { webhookSecret } from '../../shared/webhook-secret.js';

/**
 * In the one-machine mode there is often no ADMIN_TOKEN, so the operator gets the webhook signing secret as a
 * file only they can read (0600) under DATA_DIR, instead of in a log line.
 */
export async function writeWebhookSecretFile(config: Readonly<Config>, redisUrl: string, logger: Logger): Promise<void> {
  if (config.webhooks.secret) return;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
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
