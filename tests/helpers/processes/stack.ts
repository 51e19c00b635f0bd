import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../../shared/config.js';
import { createLogger } from '../../../shared/logger.js';
import { startApi, type RunningApi } from '../../../api/server.js';
import { startWorker, type RunningWorker } from '../../../worker/server.js';
import { writeTinyModelFixture } from '../model/tiny-model.js';
import { TEST_REDIS_URL, cleanPrefix, uniquePrefix } from '../redis/test-redis.js';

/** Where tests keep model files: the tiny model is written there, real ones are copied from MODEL_MIRROR. */
export const TEST_MODELS_DIR = path.resolve('.inferq/test-models');
export const SHARED = path.resolve(process.env.INFERQ_SHARED ?? '../shared');
export const MIRROR = process.env.MODEL_MIRROR ?? path.join(SHARED, 'models');

export interface Stack {
  url: string;
  prefix: string;
  config: Readonly<Config>;
  api: RunningApi;
  workers: RunningWorker[];
  uploadDir: string;
  stop: () => Promise<void>;
}

/**
 * The API and workers in this process, on a real Redis under a fresh prefix, with their own upload directory.
 * `env` overrides configuration (e.g. MODELS, DEFAULT_MODEL, BATCH_MAX_SIZE).
 */
export async function startStack(env: Record<string, string> = {}, opts: { workers?: number } = {}): Promise<Stack> {
  const { manifestPath } = await writeTinyModelFixture(TEST_MODELS_DIR);
  const prefix = uniquePrefix();
  const uploadDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-uploads-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_METRICS_PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    MODEL_MANIFEST: manifestPath,
    MODELS_DIR: TEST_MODELS_DIR,
    MODEL_MIRROR: MIRROR,
    UPLOAD_DIR: uploadDir,
    MODELS: 'tiny-colour',
    DEFAULT_MODEL: 'tiny-colour',
    // Tests send the same image again and again to reach the workers: the result cache would answer instead.
    // Tests of the cache turn it on.
    RESULT_CACHE_SECONDS: '0',
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const workers: RunningWorker[] = [];
  for (let i = 0; i < (opts.workers ?? 1); i++) workers.push(await startWorker(config, logger));
  const api = await startApi(config, logger);
  return {
    url: api.url,
    prefix,
    config,
    api,
    workers,
    uploadDir,
    stop: async () => {
      await api.close();
      for (const w of workers) await w.close();
      await cleanPrefix(prefix);
      await fs.rm(uploadDir, { recursive: true, force: true });
    },
  };
}

/** Polls a job until it ends (or `timeoutMs` passes) and returns its last state. */
export async function pollJob(url: string, id: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, any>;
    if (['succeeded', 'failed', 'canceled'].includes(job.status) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs a multipart form with one image under `field` plus string fields. */
export async function postImage(
  url: string,
  image: Buffer | Uint8Array,
  fields: Record<string, string> = {},
  opts: { field?: string; filename?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append(opts.field ?? 'image', new Blob([new Uint8Array(image)]), opts.filename ?? 'image.jpg');
  return fetch(`${url}${opts.path ?? '/v1/jobs'}`, { method: 'POST', body: form, headers: opts.headers });
}
