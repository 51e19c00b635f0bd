import { z } from 'zod';
import { authEnv, authSettings, type AuthSettings } from './config/auth.js';
import { configErrorOf, ConfigError, type Env } from './config/config-error.js';
import { httpEnv, httpSettings, type HttpSettings } from './config/http.js';
import { modelsEnv, modelsSettings, type ModelsSettings } from './config/models.js';
import { outboundEnv, outboundSettings, type OutboundSettings } from './config/outbound.js';
import { redisEnv, redisSettings, type RedisSettings } from './config/redis.js';
import { serviceEnv, serviceSettings, type ServiceSettings } from './config/service.js';
import { storageEnv, storageSettings, type StorageSettings } from './config/storage.js';
import { workerEnv, workerSettings, type WorkerSettings } from './config/worker.js';

export { ConfigError, type Env } from './config/config-error.js';
export { parseDuration, parseHostPort, type HostPort } from './config/fields.js';
export { hashTag, type RedisAuth, type RedisSpec } from './config/redis.js';
export type { S3Settings } from './config/storage.js';

/**
 * The whole configuration, read from the environment once at boot. This is the only module that reads
 * `process.env` (through its callers' `loadConfig()`); everything else receives the frozen object it returns.
 * Each section (shared/config/*.ts) declares its keys, with their units and defaults, and builds its part.
 */
export interface Config
  extends ServiceSettings, HttpSettings, RedisSettings, ModelsSettings, StorageSettings, WorkerSettings, OutboundSettings, AuthSettings {}

const schema = z.object({
  ...serviceEnv, ...httpEnv, ...redisEnv, ...modelsEnv, ...storageEnv, ...workerEnv, ...outboundEnv, ...authEnv,
});

/** Every variable the configuration reads, in section order (the README's configuration table lists each). */
export const CONFIG_KEYS: readonly string[] = Object.keys(schema.shape);

/** Parses the environment into a frozen Config, or throws a ConfigError naming every bad key and value. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw configErrorOf(parsed.error.issues, env);
  const e = parsed.data;
  // Keys that are each valid but do not work together; all of them are reported at once.
  const problems: string[] = [];
  const config: Config = {
    ...serviceSettings(e),
    ...httpSettings(e),
    ...redisSettings(e, problems),
    ...modelsSettings(e),
    ...storageSettings(e, problems),
    ...workerSettings(e, problems),
    ...outboundSettings(e),
    ...authSettings(e),
  };
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
