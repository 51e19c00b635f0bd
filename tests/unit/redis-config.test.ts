import { describe, expect, it } from 'vitest';
import { ConfigError, hashTag, loadConfig, parseHostPort } from '../../shared/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('Redis connection config', () => {
  it('has no connection when nothing is set (npm start finds or embeds one), a url spec from REDIS_URL', () => {
    expect(loadConfig({}).redis.spec).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://r:6379' }).redis.spec).toEqual({ kind: 'url', url: 'redis://r:6379' });
  });

  it('reads sentinels, the master name, credentials and TLS', () => {
    const c = loadConfig({
      REDIS_SENTINELS: 's1:26379, s2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'inferq',
      REDIS_PASSWORD: 'node-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_TLS: 'true',
    });
    expect(c.redis.spec).toEqual({
      kind: 'sentinel',
      name: 'inferq',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }, { host: '::1', port: 26381 }],
      auth: { username: undefined, password: 'node-secret', sentinelPassword: 'sentinel-secret', tls: true },
    });
    expect(c.redis.url).toBeUndefined();
  });

  it('requires the master name with sentinels, and one way to reach Redis only', () => {
    expect(problems({ REDIS_SENTINELS: 's1:26379' })).toMatch(/REDIS_SENTINEL_NAME/);
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000', REDIS_PREFIX: '{x}' })).toMatch(/REDIS_URL, REDIS_CLUSTER_NODES: set only one/);
  });

  it('names a bad host:port list, and never prints a Redis password', () => {
    const text = problems({ REDIS_CLUSTER_NODES: 'a:7000,b', REDIS_PASSWORD: 'hunter22', REDIS_SENTINELS: 'x:0', REDIS_PREFIX: '{x}' });
    expect(text).toContain('REDIS_CLUSTER_NODES="a:7000,b": must be a comma list of host:port');
    expect(text).toContain('REDIS_SENTINELS="x:0"');
    expect(text).not.toContain('hunter22');
  });

  it('refuses a cluster on a prefix without a hash tag, saying why and what to set', () => {
    const text = problems({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_PREFIX: 'inferq' });
    expect(text).toContain('REDIS_PREFIX="inferq"');
    expect(text).toContain('{inferq}');
    expect(text).toMatch(/one slot/);
    // An empty tag hashes the whole key, so it is no tag.
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_PREFIX: '{}inferq' })).toMatch(/hash tag/);
    const c = loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_PREFIX: '{inferq}' });
    expect(c.redis.spec).toMatchObject({ kind: 'cluster', nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }] });
  });

  it('finds the hash tag the way Redis Cluster does', () => {
    expect(hashTag('{inferq}')).toBe('inferq');
    expect(hashTag('prod-{inferq}')).toBe('inferq');
    expect(hashTag('{a}{b}')).toBe('a');
    expect(hashTag('inferq')).toBeNull();
    expect(hashTag('{}x')).toBeNull();
    expect(hashTag('{open')).toBeNull();
    expect(hashTag('}{x}')).toBe('x');
  });

  it('parses host:port', () => {
    expect(parseHostPort('redis-0.redis:6379')).toEqual({ host: 'redis-0.redis', port: 6379 });
    expect(parseHostPort('[fd00::1]:7000')).toEqual({ host: 'fd00::1', port: 7000 });
    for (const bad of ['host', ':6379', 'host:99999', 'host:port', 'a b:1']) expect(parseHostPort(bad)).toBeNull();
  });
});
