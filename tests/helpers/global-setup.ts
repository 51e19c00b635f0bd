import { redisAnswers, startEmbeddedRedis, type EmbeddedRedis } from '../../api/standalone/embedded-redis.js';
import fs from 'node:fs/promises';

/**
 * Tests need a real Redis: REDIS_URL / TEST_REDIS_URL when given, else 127.0.0.1:6379 when it answers, else a
 * redis-server child started here (so `npm test` works on a machine with only redis-server installed).
 */
let embedded: EmbeddedRedis | null = null;

export async function setup() {
  const given = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (given) {
    process.env.TEST_REDIS_URL = given;
    return;
  }
  if (await redisAnswers('redis://127.0.0.1:6379', 500)) {
    process.env.TEST_REDIS_URL = 'redis://127.0.0.1:6379';
    return;
  }
  await fs.mkdir('.inferq/test-redis', { recursive: true });
  embedded = await startEmbeddedRedis('.inferq/test-redis');
  process.env.TEST_REDIS_URL = embedded.url;
}

export async function teardown() {
  await embedded?.stop();
}
