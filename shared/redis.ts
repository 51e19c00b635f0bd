import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisAuth, RedisSpec } from './config.js';
import type { Logger } from './logger.js';

/** A connection to one server (by URL or through Sentinel) or to a Cluster: inferq uses what both speak. */
export type RedisClient = Redis | Cluster;

/**
 * Connections by role:
 * - `producer` (API): fails fast. With no offline queue and a short command timeout, a request made while Redis
 *   is down or paused errors within about a second and becomes a 503, instead of hanging the client.
 * - `worker`: waits. BullMQ workers need `maxRetriesPerRequest: null`, and reconnect forever with a capped
 *   backoff so a worker resumes by itself after any outage.
 * - `subscriber`: pub/sub for `Prefer: wait`; reconnects forever like a worker.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

const retryForever = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 2_000);

export function redisOptions(role: RedisRole): RedisOptions {
  const base: RedisOptions = { retryStrategy: retryForever, connectionName: `inferq-${role}` };
  if (role === 'producer') {
    // Auto-pipelining batches the commands of concurrent requests into one socket write (15 % of the API's
    // CPU went to per-command writes under load).
    return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 3_000, enableAutoPipelining: true };
  }
  if (role === 'subscriber') {
    // Once subscribed, a connection may only send (P)SUBSCRIBE-family commands: no ready check (INFO) and no
    // CLIENT SETNAME on reconnect, or Redis answers "Connection in subscriber mode".
    return { retryStrategy: retryForever, maxRetriesPerRequest: null, enableReadyCheck: false };
  }
  return { ...base, maxRetriesPerRequest: null, enableReadyCheck: true };
}

/** The one place connections are made: every process and role goes through here, whatever the topology. */
export function createRedis(spec: RedisSpec, role: RedisRole, logger?: Logger): RedisClient {
  const redis = connect(spec, redisOptions(role));
  let down = false;
  redis.on('error', (err) => {
    // ioredis emits an error per failed reconnect; log the first of a run, not hundreds.
    if (!down) logger?.warn({ err: err.message, connection: role }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger?.info({ connection: role }, 'redis connection restored');
    down = false;
  });
  return redis;
}

function connect(spec: RedisSpec, opts: RedisOptions): RedisClient {
  if (spec.kind === 'url') return new Redis(spec.url, opts);
  if (spec.kind === 'sentinel') {
    return new Redis({
      ...opts,
      ...nodeAuth(spec.auth),
      sentinels: spec.sentinels,
      name: spec.name,
      sentinelPassword: spec.auth.sentinelPassword,
      ...(spec.auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      // Listen to the sentinels' +switch-master: reconnect to a promoted replica at once, instead of only when
      // the old primary's socket errors out (a partitioned primary may keep it open).
      failoverDetector: true,
    });
  }
  // Cluster-wide options live on the cluster; the rest apply to each node connection.
  const { retryStrategy, enableOfflineQueue, enableReadyCheck, enableAutoPipelining, ...node } = opts;
  return new Cluster(spec.nodes, {
    redisOptions: { ...node, ...nodeAuth(spec.auth) },
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue,
    enableReadyCheck,
    enableAutoPipelining,
  });
}

function nodeAuth(auth: RedisAuth): RedisOptions {
  return { username: auth.username, password: auth.password, ...(auth.tls ? { tls: {} } : {}) };
}

/**
 * A cluster node reached as one server answers MOVED for most keys: refuse to run on it with the fix in the
 * message, rather than fail requests one by one. Servers that forbid INFO are taken as they come.
 */
export async function refuseMisreadTopology(redis: RedisClient, spec: RedisSpec): Promise<void> {
  if (spec.kind === 'cluster') return;
  const info = await redis.info('cluster').catch(() => '');
  if (/^cluster_enabled:1/m.test(info)) {
    throw new Error(
      'Redis is a Cluster node but was configured as one server: set REDIS_CLUSTER_NODES=host:port,… and a hash-tagged REDIS_PREFIX such as {inferq}',
    );
  }
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** Jobs must never be evicted: warn when Redis is configured to drop keys under memory pressure. */
export async function warnUnlessNoEviction(redis: RedisClient, logger: Logger): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') {
      logger.warn({ policy }, 'Redis maxmemory-policy is not noeviction: queued jobs can be silently evicted');
    }
  } catch {
    // Managed Redis services often forbid CONFIG; nothing to check then.
  }
}
