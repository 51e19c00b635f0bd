import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../api/openapi/index.js';
import { jobsRouter } from '../../api/routes/jobs.js';
import { predictRouter } from '../../api/routes/predict.js';
import { modelsRouter } from '../../api/routes/models.js';
import { healthRouter } from '../../api/routes/health.js';
import { metricsRouter } from '../../api/routes/metrics.js';
import { docsRouter } from '../../api/routes/docs.js';
import { requestId } from '../../api/middleware/request-id.js';
import { errorHandler, notFoundRoute } from '../../api/middleware/error-handler.js';
import { ModelCatalog } from '../../shared/model-catalog.js';
import { parseManifest } from '../../shared/model-manifest.js';
import { getJob } from '../../api/use-cases/get-job.js';
import type { JobStore } from '../../shared/job-store.js';
import type { Heartbeats } from '../../shared/heartbeats.js';
import type { Logger } from '../../shared/logger.js';
import { resolver, validator, type Obj } from './openapi-validate.js';

const doc = openApiDocument() as Obj;
const paths = doc.paths as Record<string, Obj>;
const { deref } = resolver(doc);
const { validate } = validator(doc);

// ---------------------------------------------------------------------------------------------------------------
// Real answers of the routes that need no Redis, checked against the documented schemas.

const silentLogger = { child: () => silentLogger, info: () => {}, error: () => {}, warn: () => {}, debug: () => {} } as unknown as Logger;

const spec = parseManifest({
  models: [
    {
      name: 'tiny',
      version: '1',
      task: 'classification',
      model: { file: 'tiny.onnx', sha256: 'a'.repeat(64) },
      labels: { file: 'tiny.txt', sha256: 'b'.repeat(64) },
      input_name: 'input',
      output_name: 'output',
      output: 'logits',
      num_classes: 3,
      preprocessing: { resize: 8, crop: 8, channel_order: 'RGB', layout: 'NCHW', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    },
    {
      name: 'other',
      version: '2',
      task: 'classification',
      description: 'a second model',
      license: 'MIT',
      source: 'tests',
      model: { file: 'other.onnx', sha256: 'c'.repeat(64) },
      labels: { file: 'other.txt', sha256: 'd'.repeat(64) },
      input_name: 'x',
      output_name: 'y',
      output: 'probabilities',
      num_classes: 5,
      preprocessing: { resize: 8, crop: 8, channel_order: 'BGR', layout: 'NHWC', scale: 1, mean: [1, 2, 3], std: [1, 1, 1] },
    },
  ],
}).models;

describe('OpenAPI document: real answers match the schemas', () => {
  let base: string;
  let server: import('node:http').Server;
  let redisUp = true;

  beforeAll(async () => {
    const registry = new client.Registry();
    new client.Counter({ name: 'inferq_test_total', help: 'a test counter', registers: [registry] });
    const upload: RequestHandler = (_req, _res, next) => next();
    // The malformed ids below are refused before any store is read: a store that is reached fails the test.
    const unreached = () => Promise.reject(new Error('not reached: the id is refused first'));
    const read = { jobs: { get: unreached } as unknown as JobStore, queuePosition: async () => null };
    const app = express();
    app.use(requestId);
    const redis = {
      ping: async () => {
        if (!redisUp) throw new Error('Connection is closed.');
        return 'PONG';
      },
    };
    const heartbeats = { alive: async () => 2, describe: async () => [{ metrics_port: 9465 }, { metrics_port: 9464 }] };
    const single = { upload, scopeOf: () => 'public' };
    for (const r of [
      healthRouter({ redis, heartbeats: heartbeats as unknown as Heartbeats, defaultModel: 'tiny' }),
      metricsRouter({ registry }),
      docsRouter(),
      modelsRouter({ models: new ModelCatalog(spec, 'tiny'), batching: { max_batch_size: 8, max_delay_ms: 5 } }),
      jobsRouter({ ...single, maxWaitSeconds: 60, submit: unreached, getJob: (id) => getJob(read, id), cancel: unreached }),
      predictRouter({ ...single, timeoutSeconds: 30, predict: unreached }),
    ]) app.use(r);
    app.use(notFoundRoute);
    app.use(errorHandler(silentLogger));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Calls the server and checks the answer against the documented response of `METHOD template`. */
  async function check(method: string, url: string, template: string, expectedStatus: number) {
    const res = await fetch(base + url, { method });
    expect(res.status, `${method} ${url}`).toBe(expectedStatus);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const op = (paths[template] as Obj)[method.toLowerCase()] as Obj;
    const documented = deref((op.responses as Obj)[String(res.status)]);
    expect(documented, `${method} ${template} documents ${res.status}`).toBeDefined();
    for (const h of Object.keys((documented.headers ?? {}) as Obj)) {
      if (h === 'Retry-After' || h === 'X-Request-Id') expect(res.headers.get(h), `${h} on ${method} ${url}`).toBeTruthy();
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!;
    const content = documented.content as Record<string, Obj>;
    expect(Object.keys(content), `${method} ${url} content type`).toContain(contentType);
    if (contentType === 'application/json') {
      const body = (await res.json()) as unknown;
      expect(validate(content[contentType]!.schema, body), `${method} ${url} body`).toEqual([]);
      return body as Obj;
    }
    return (await res.text()) as unknown as Obj;
  }

  it('GET /health, /metrics, /openapi.json', async () => {
    await check('GET', '/health', '/health', 200);
    expect(String(await check('GET', '/metrics', '/metrics', 200))).toContain('inferq_test_total');
    expect(await check('GET', '/openapi.json', '/openapi.json', 200)).toEqual(doc);
  });

  it('GET /docs: Swagger UI over the document (its module loaded on the first request), with its assets', async () => {
    const pages = await Promise.all([check('GET', '/docs/', '/docs', 200), check('GET', '/docs/', '/docs', 200)]);
    for (const page of pages) expect(String(page)).toContain('<title>inferq API</title>');
    const css = await fetch(`${base}/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('GET /ready, ready and not ready', async () => {
    expect(await check('GET', '/ready', '/ready', 200)).toEqual({ status: 'ready', workers: 2, worker_metrics_ports: [9464, 9465] });
    redisUp = false;
    try {
      await check('GET', '/ready', '/ready', 503);
    } finally {
      redisUp = true;
    }
  });

  it('GET /v1/models, /v1/models/{name}, /info', async () => {
    const list = await check('GET', '/v1/models', '/v1/models', 200);
    expect(list.default).toBe('tiny');
    expect((list.data as unknown[]).length).toBe(2);
    await check('GET', '/v1/models/other', '/v1/models/{name}', 200);
    const unknown = await check('GET', '/v1/models/nope', '/v1/models/{name}', 404);
    expect((unknown.error as Obj).code).toBe('unknown_model');
    expect((await check('GET', '/info', '/info', 200)).service).toBe('inferq');
  });

  it('404 of a malformed job id, in the Error shape', async () => {
    const get = await check('GET', '/v1/jobs/nope', '/v1/jobs/{id}', 404);
    expect((get.error as Obj).code).toBe('not_found');
    await check('POST', '/v1/jobs/nope/cancel', '/v1/jobs/{id}/cancel', 404);
  });

  it('the validator catches what it should (so the checks above mean something)', () => {
    const schemas = (doc.components as Obj).schemas as Obj;
    expect(validate(schemas.Health, { status: 'ok', extra: 1 })).toEqual(['$: undocumented key extra']);
    expect(validate(schemas.Health, { status: 'bad' })).toHaveLength(1);
    expect(validate({ $ref: '#/components/schemas/Error' }, { error: { code: 'not_found', message: 'm' } })).toEqual(['$: missing required request_id']);
    expect(validate({ $ref: '#/components/schemas/Error' }, { error: { code: 'no_such_code', message: 'm' }, request_id: 'r' })).toHaveLength(1);
    expect(validate({ $ref: '#/components/schemas/Info' }, { service: 'inferq' }).length).toBeGreaterThan(5);
    expect(validate({ $ref: '#/components/schemas/Job' }, null)).toHaveLength(1);
    expect(validate({ anyOf: [{ type: 'string' }, { type: 'null' }] }, null)).toEqual([]);
  });
});
