import { z } from 'zod';
import { flag, hostPorts, type HostPort, type Parsed } from './fields.js';

/** How to reach Redis, and the key prefix every key of this deployment carries. */
export const redisEnv = {
  /** One Redis server; one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES when API and worker run apart. */
  REDIS_URL: z.string().url().optional(),
  /** Sentinels (`host:port,…`) that name the current primary of REDIS_SENTINEL_NAME; clients follow a failover. */
  REDIS_SENTINELS: hostPorts,
  /** The name the sentinels monitor the primary by; required with REDIS_SENTINELS. */
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  /** Password of the sentinels themselves. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Seed nodes (`host:port,…`) of a Redis Cluster; REDIS_PREFIX must then carry a hash tag, e.g. `{inferq}`. */
  REDIS_CLUSTER_NODES: hostPorts,
  /** ACL user, password and TLS (default false) for the Sentinel-managed or Cluster nodes (REDIS_URL carries its own). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS: flag('false'),
  /** Prefix of every Redis key inferq and BullMQ write, so several deployments (or tests) share one Redis; default `inferq`. */
  REDIS_PREFIX: z.string().min(1).default('inferq'),
};

/** Credentials and TLS for Sentinel-managed or Cluster nodes. */
export interface RedisAuth {
  username?: string;
  password?: string;
  sentinelPassword?: string;
  tls: boolean;
}

/** How to reach Redis: one server by URL, a Sentinel-guarded primary, or a Cluster. */
export type RedisSpec =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; auth: RedisAuth }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth };

export interface RedisSettings {
  /** `spec` is unset only when nothing was configured (`npm start` then finds or embeds a Redis); `url` mirrors a url spec. */
  redis: { url?: string; spec?: RedisSpec; prefix: string };
}

/** The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next `}`, if not empty. */
export function hashTag(prefix: string): string | null {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : null;
}

/** The Redis section; a combination that cannot work is added to `problems`. */
export function redisSettings(e: Parsed<typeof redisEnv>, problems: string[]): RedisSettings {
  return { redis: { url: e.REDIS_URL, spec: redisSpec(e, problems), prefix: e.REDIS_PREFIX } };
}

function redisSpec(e: Parsed<typeof redisEnv>, problems: string[]): RedisSpec | undefined {
  const given = [e.REDIS_URL && 'REDIS_URL', e.REDIS_SENTINELS.length && 'REDIS_SENTINELS', e.REDIS_CLUSTER_NODES.length && 'REDIS_CLUSTER_NODES'].filter(Boolean);
  if (given.length > 1) {
    problems.push(`${given.join(', ')}: set only one way to reach Redis`);
    return undefined;
  }
  const auth: RedisAuth = { username: e.REDIS_USERNAME, password: e.REDIS_PASSWORD, sentinelPassword: e.REDIS_SENTINEL_PASSWORD, tls: e.REDIS_TLS };
  if (e.REDIS_URL) return { kind: 'url', url: e.REDIS_URL };
  if (e.REDIS_SENTINELS.length) {
    if (e.REDIS_SENTINEL_NAME) return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, auth };
    problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor the primary by)');
    return undefined;
  }
  if (e.REDIS_CLUSTER_NODES.length) {
    // Refused here, before any connection: on an untagged prefix the first multi-key script would fail with
    // CROSSSLOT at run time, after jobs were half written.
    if (hashTag(e.REDIS_PREFIX)) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, auth };
    problems.push(
      `REDIS_PREFIX=${JSON.stringify(e.REDIS_PREFIX)}: on a Redis Cluster the prefix must carry a hash tag, e.g. {${e.REDIS_PREFIX}}: ` +
        'BullMQ and inferq run Lua scripts over several keys at once, and a cluster runs a script only when all its keys ' +
        'hash to one slot; the tag puts every key of this deployment in one slot',
    );
  }
  return undefined;
}
