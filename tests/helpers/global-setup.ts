import { redisAnswers } from '../../shared/redis-answers.js';
import { RedisServer } from './redis/redis-server.js';

/**
 * Tests need a real Redis: REDIS_URL / TEST_REDIS_URL when given, else 127.0.0.1:6379 when it answers, else a
 * redis-server child started here (so `npm test` works on a machine with only redis-server installed).
 */
let started: RedisServer | null = null;

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
  // everysec: a test run needs no durability across a kill -9, and 'always' slows every write.
  started = await RedisServer.start({ appendfsync: 'everysec' });
  process.env.TEST_REDIS_URL = started.url;
}

export async function teardown() {
  await started?.stop();
}
