import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ConfigError, loadConfig, parseDuration } from '../../shared/config.js';

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

  it('is documented: every variable of the schema appears in .env.example and the README', () => {
    const example = fs.readFileSync('.env.example', 'utf8');
    const readme = fs.readFileSync('README.md', 'utf8');
    const source = fs.readFileSync('shared/config.ts', 'utf8');
    const keys = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!).filter((k) => k !== 'NODE_ENV');
    expect(keys.length).toBeGreaterThan(30);
    for (const k of keys) {
      expect(example, k).toContain(k);
      expect(readme, k).toContain(k);
    }
  });
});
