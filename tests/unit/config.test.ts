import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { CONFIG_KEYS, ConfigError, loadConfig, parseDuration } from '../../shared/config.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.models.default).toBe('mobilenetv2');
    expect(c.models.served).toEqual(['mobilenetv2']);
    expect(c.batch).toEqual({ maxSize: 8, maxDelayMs: 10, flushWhenIdle: true });
    expect(c.worker.inferenceThreads).toBe(1);
    expect(c.worker.concurrency).toBe(16);
    expect(c.uploads.maxBytes).toBe(10 * 1024 * 1024);
    expect(c.webhooks.retrySchedule).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5]);
    expect(Object.isFrozen(c) && Object.isFrozen(c.batch)).toBe(true);
  });

  it('lists every bad key with its value', () => {
    try {
      loadConfig({ PORT: 'eighty', BATCH_MAX_SIZE: '0', WEBHOOK_RETRY_SCHEDULE: '5s,soon', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const k of ['PORT="eighty"', 'BATCH_MAX_SIZE="0"', 'WEBHOOK_RETRY_SCHEDULE="5s,soon"', 'LOG_LEVEL="loud"']) {
        expect(problems).toContain(k);
      }
    }
  });

  it('names a bad secret without printing it', () => {
    try {
      loadConfig({ ADMIN_TOKEN: 'hunter2', WEBHOOK_SECRET: 'whsec_!!', REDIS_URL: 'redis://:pa55word@host:bad' });
      expect.unreachable();
    } catch (err) {
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toContain('ADMIN_TOKEN="[redacted]"');
      expect(text).toContain('WEBHOOK_SECRET="[redacted]"');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('pa55word');
    }
  });

  it('refuses a worker concurrency below the batch size', () => {
    expect(() => loadConfig({ BATCH_MAX_SIZE: '16', WORKER_CONCURRENCY: '8' })).toThrow(/WORKER_CONCURRENCY/);
  });

  it('always serves the default model', () => {
    expect(loadConfig({ MODELS: 'squeezenet', DEFAULT_MODEL: 'mobilenetv2' }).models.served).toEqual(['mobilenetv2', 'squeezenet']);
  });

  it('reads the image store settings: fs by default, s3 only with a bucket', () => {
    expect(loadConfig({}).storage).toEqual({ kind: 'fs', s3: undefined, readRetryMs: 60_000 });
    expect(() => loadConfig({ STORAGE: 's3' })).toThrow(/S3_BUCKET: required when STORAGE=s3/);
    expect(() => loadConfig({ STORAGE: 'nfs' })).toThrow(/STORAGE="nfs"/);
    const c = loadConfig({ STORAGE: 's3', S3_BUCKET: 'images', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', S3_PREFIX: 'p/', BLOB_READ_RETRY_MS: '500' });
    expect(c.storage).toEqual({
      kind: 's3', readRetryMs: 500,
      s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'images', region: 'us-east-1', prefix: 'p/', forcePathStyle: true, timeoutMs: 5_000 },
    });
  });

  it('parses durations', () => {
    expect(parseDuration('300ms')).toBe(300);
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('fast')).toBeNull();
  });

  it('lists every pair of keys that do not work together, not only the first', () => {
    try {
      loadConfig({ WORKER_CONCURRENCY: '2', STORAGE: 's3', REDIS_SENTINELS: 's1:26379' });
      expect.unreachable('loadConfig accepted three conflicts');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(3);
      for (const k of ['WORKER_CONCURRENCY', 'S3_BUCKET', 'REDIS_SENTINEL_NAME']) expect(problems.join('\n')).toContain(k);
    }
  });

  it('declares each variable in one section only (a second declaration would silently replace the first)', async () => {
    const dir = 'shared/config';
    const declared: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(`../../${dir}/${file.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
      for (const [name, shape] of Object.entries(mod)) if (name.endsWith('Env')) declared.push(...Object.keys(shape as object));
    }
    expect([...declared].sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it('is documented: every variable of the schema appears in .env.example and has a row in the README table', () => {
    const example = fs.readFileSync('.env.example', 'utf8');
    const readme = fs.readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    // The first cell of each row names its variables (`A` or `A` / `B`).
    const rows = [...table.matchAll(/^\| ([^|]*) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((v) => v[1]!));
    expect(CONFIG_KEYS.length).toBeGreaterThan(30);
    for (const k of CONFIG_KEYS) {
      if (k !== 'NODE_ENV') expect(example, k).toContain(k);
      expect(rows, k).toContain(k);
    }
    // A row for a variable nothing reads is drift too.
    expect(rows.filter((k) => !CONFIG_KEYS.includes(k))).toEqual([]);
  });
});
