import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../api/openapi.js';
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
import { loadConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { JobInput, JobTimings, JobView, WebhookDelivery } from '../../shared/job-types.js';
import type { Prediction } from '../../worker/postprocess.js';

type Obj = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const ROUTES_DIR = fileURLToPath(new URL('../../api/routes/', import.meta.url));

const doc = openApiDocument() as Obj;
const paths = doc.paths as Record<string, Obj>;

function resolvePointer(pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Obj)[key];
  }
  return node;
}

/** Follows `$ref`s (with a bound, so a cycle of refs fails instead of hanging). */
function deref<T = Obj>(node: unknown): T {
  let n = node as Obj;
  for (let i = 0; i < 20 && n && typeof n.$ref === 'string'; i++) n = resolvePointer(n.$ref) as Obj;
  return n as T;
}

function* walk(node: unknown, at: string): Generator<[string, Obj]> {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) yield* walk(v, `${at}/${i}`);
  } else if (node && typeof node === 'object') {
    yield [at, node as Obj];
    for (const [k, v] of Object.entries(node)) yield* walk(v, `${at}/${k}`);
  }
}

interface Operation {
  method: string;
  path: string;
  op: Obj;
}
const operations: Operation[] = Object.entries(paths).flatMap(([p, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ method: m, path: p, op: item[m] as Obj })),
);
const isBatchOperation = (o: Operation) => ((o.op.tags as string[] | undefined) ?? []).includes('batches');

// ---------------------------------------------------------------------------------------------------------------
// The routes Express really serves, read from the routers' stacks.

/**
 * A stand-in for any router's dependencies: the factories only use them inside handlers, but some read a
 * member while registering (`deps.upload`). Every member is a pass-through middleware that also has every member,
 * so a future router reading e.g. `deps.scopeOf` or `deps.config.x` still builds.
 */
function fakeDeps(): never {
  const passThrough: RequestHandler = (_req, _res, next) => next();
  const make = (): unknown =>
    new Proxy(function () {} as unknown as object, {
      get: (_t, prop) => (prop === 'then' ? undefined : typeof prop === 'symbol' ? undefined : make()),
      apply: (_t, _this, args: unknown[]) => {
        const next = args[2];
        if (typeof next === 'function') (next as () => void)();
        return make();
      },
    });
  const rest = make() as Obj;
  return new Proxy(
    // adminToken: off, as in loadConfig({}): the dashboard would build bull-board over the stand-in queue.
    { upload: passThrough, config: loadConfig({}), adminToken: undefined, models: { list: () => [], defaultName: 'x', get: () => undefined } },
    { get: (t, prop) => (prop in t ? (t as Obj)[prop as string] : rest[prop as string]) },
  ) as never;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle?: { stack?: Layer[] };
}

const toTemplate = (p: string) => p.replace(/:(\w+)/g, '{$1}');

/** `METHOD /path` of every route in a router (nested routers included), and the paths things are `use`d at. */
function routesOf(router: Router, prefix = ''): { routes: Set<string>; mounts: Set<string> } {
  const routes = new Set<string>();
  const mounts = new Set<string>();
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (layer.route) {
      const p = layer.route.path;
      if (typeof p !== 'string') throw new Error(`route path ${String(p)} is not a string; this test only reads string paths`);
      for (const [m, on] of Object.entries(layer.route.methods)) {
        if (on && m !== '_all') routes.add(`${m.toUpperCase()} ${toTemplate(prefix + p)}`);
      }
    } else if (typeof layer.rawPath === 'string' && layer.rawPath !== '/') {
      const at = prefix + layer.rawPath;
      if (layer.handle?.stack) {
        const inner = routesOf(layer.handle as unknown as Router, at);
        inner.routes.forEach((r) => routes.add(r));
        inner.mounts.forEach((m) => mounts.add(m));
      } else {
        mounts.add(at);
      }
    } else if (layer.handle?.stack) {
      const inner = routesOf(layer.handle as unknown as Router, prefix);
      inner.routes.forEach((r) => routes.add(r));
      inner.mounts.forEach((m) => mounts.add(m));
    }
  }
  return { routes, mounts };
}

/** Every `*Router` factory exported by api/routes/*.ts, so that routers added later are checked too. */
async function routerFactories(): Promise<Map<string, (deps: never) => Router>> {
  const factories = new Map<string, (deps: never) => Router>();
  const files = fs.readdirSync(ROUTES_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'));
  for (const file of files.sort()) {
    const mod = (await import(pathToFileURL(path.join(ROUTES_DIR, file)).href)) as Obj;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === 'function' && /Router$/.test(name)) factories.set(`${file}:${name}`, fn as (deps: never) => Router);
    }
  }
  return factories;
}

describe('OpenAPI document: structure', () => {
  it('is an OpenAPI 3.0 document with info, servers and paths', () => {
    expect(doc.openapi).toBe('3.0.3');
    const info = doc.info as Obj;
    expect(info.title).toBe('inferq');
    expect(info.version).toBe('1.0.0');
    expect(String(info.description)).toMatch(/Prefer: wait/);
    expect(String(info.description)).toMatch(/Idempotency-Key/);
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(operations.length).toBeGreaterThan(10);
    // A plain JSON value: what /openapi.json sends is what the tests check.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('resolves every $ref within the document', () => {
    const broken: string[] = [];
    for (const [at, node] of walk(doc, '#')) {
      if (typeof node.$ref === 'string' && resolvePointer(node.$ref) === undefined) broken.push(`${at}: ${node.$ref}`);
    }
    expect(broken).toEqual([]);
  });

  it('gives every operation responses, a unique operationId and declared tags', () => {
    const ids = new Map<string, string>();
    const tags = new Set(((doc.tags as Obj[]) ?? []).map((t) => t.name as string));
    for (const { method, path: p, op } of operations) {
      const where = `${method.toUpperCase()} ${p}`;
      expect(Object.keys((op.responses as Obj) ?? {}).length, `${where} has responses`).toBeGreaterThan(0);
      expect(typeof op.operationId, `${where} has an operationId`).toBe('string');
      expect(ids.get(op.operationId as string), `operationId ${String(op.operationId)} is unique`).toBeUndefined();
      ids.set(op.operationId as string, where);
      for (const t of (op.tags as string[]) ?? []) expect(tags.has(t), `${where}: tag ${t} is declared`).toBe(true);
    }
  });

  it('declares every path template parameter as a required path parameter', () => {
    for (const { method, path: p, op } of operations) {
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = ((op.parameters as unknown[]) ?? []).map((x) => deref(x)).filter((x) => x.in === 'path');
      expect(declared.map((x) => x.name).sort(), `${method.toUpperCase()} ${p}`).toEqual([...inPath].sort());
      for (const x of declared) expect(x.required).toBe(true);
    }
  });

  it('gives every response X-Request-Id, and 429/503 Retry-After', () => {
    for (const { method, path: p, op } of operations) {
      for (const [status, r] of Object.entries(op.responses as Obj)) {
        const headers = (deref(r).headers ?? {}) as Obj;
        const where = `${method.toUpperCase()} ${p} ${status}`;
        expect(headers['X-Request-Id'], where).toBeDefined();
        if (status === '429' || status === '503') expect(headers['Retry-After'], where).toBeDefined();
        if (Number(status) >= 400 && status !== '503') {
          expect(deref((deref(r).content as Obj)['application/json'] as Obj).schema, where).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
  });

  it('documents the multipart form of POST /v1/jobs and its answers', () => {
    const op = (paths['/v1/jobs'] as Obj).post as Obj;
    const form = (((op.requestBody as Obj).content as Obj)['multipart/form-data'] as Obj).schema as Obj;
    const props = form.properties as Record<string, Obj>;
    expect(form.anyOf).toEqual([{ required: ['image'] }, { required: ['file'] }, { required: ['image_url'] }]);
    expect(props.image_url).toMatchObject({ type: 'string', format: 'uri' });
    const body = (((op.requestBody as Obj).content as Obj)['application/json'] as Obj).schema as Obj;
    expect(body.required).toEqual(['image_url']);
    expect(props.image).toMatchObject({ type: 'string', format: 'binary' });
    expect(props.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(props.top_k).toMatchObject({ minimum: 1, maximum: 20 });
    expect(props.priority).toMatchObject({ minimum: 0, maximum: 10 });
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['model', 'metadata', 'webhook_url', 'webhook_events']));
    const params = (op.parameters as unknown[]).map((x) => deref(x).name);
    expect(params).toEqual(expect.arrayContaining(['Idempotency-Key', 'Prefer']));
    const responses = op.responses as Obj;
    for (const s of ['200', '202', '400', '404', '409', '413', '415', '422', '429', '503']) expect(responses[s], s).toBeDefined();
    expect(((responses['202'] as Obj).headers as Obj).Location).toBeDefined();
  });

  it('describes every field of JobView and its parts', () => {
    // Record<keyof T, true> makes the compiler fail when a field is added to the type and not here.
    const jobKeys: Record<keyof JobView, true> = {
      id: true, status: true, model: true, created_at: true, started_at: true, completed_at: true, input: true, top_k: true,
      label_set: true, result: true, error: true, timings: true, queue_position: true, batch_id: true, metadata: true, priority: true, deadline_at: true,
      attempts: true, webhook: true, custom_id: true,
    };
    const inputKeys: Record<keyof JobInput, true> = { filename: true, content_type: true, bytes: true, width: true, height: true, sha256: true, url: true };
    // Present only when they apply (a JSON-lines item's id, an image_url job's URL): documented, not required.
    const optional = new Set(['custom_id', 'url']);
    const timingKeys: Record<keyof JobTimings, true> = { queue_ms: true, preprocess_ms: true, inference_ms: true, total_ms: true, batch_size: true };
    const deliveryKeys: Record<keyof WebhookDelivery, true> = {
      attempt: true, at: true, event: true, webhook_id: true, status_code: true, error: true, outcome: true, duration_ms: true,
    };
    const predictionKeys: Record<keyof Prediction, true> = { label: true, class_id: true, confidence: true };
    const schemas = (doc.components as Obj).schemas as Record<string, Obj>;
    const cases: [string, Obj][] = [['Job', jobKeys], ['JobInput', inputKeys], ['Timings', timingKeys], ['WebhookDelivery', deliveryKeys], ['Prediction', predictionKeys]];
    for (const [name, keys] of cases) {
      const s = schemas[name]!;
      expect(Object.keys(s.properties as Obj).sort(), name).toEqual(Object.keys(keys).sort());
      expect([...(s.required as string[])].sort(), `${name} required`).toEqual(Object.keys(keys).filter((k) => !optional.has(k)).sort());
    }
    const job = schemas.Job!.properties as Record<string, Obj>;
    expect(deref(job.status).enum).toEqual(['queued', 'processing', 'succeeded', 'failed', 'canceled']);
    for (const f of ['started_at', 'completed_at', 'result', 'error', 'timings', 'queue_position', 'batch_id', 'priority', 'webhook']) {
      expect(job[f]!.nullable, `Job.${f} is nullable`).toBe(true);
    }
    for (const name of ['Error', 'Job', 'Prediction', 'Timings', 'Model', 'Batch']) expect(schemas[name], name).toBeDefined();
  });
});

describe('OpenAPI document: matches the registered routes', () => {
  let routes: Set<string>;
  let mounts: Set<string>;
  let factoryNames: string[];

  beforeAll(async () => {
    routes = new Set();
    mounts = new Set();
    const factories = await routerFactories();
    factoryNames = [...factories.keys()];
    const deps = fakeDeps();
    for (const [name, factory] of factories) {
      let router: Router;
      try {
        router = factory(deps);
      } catch (err) {
        throw new Error(`${name} cannot be built with stand-in dependencies; teach fakeDeps() what it needs: ${String(err)}`);
      }
      const r = routesOf(router);
      r.routes.forEach((x) => routes.add(x));
      r.mounts.forEach((x) => mounts.add(x));
    }
  });

  it('reads the routers of api/routes/*.ts', () => {
    for (const f of [jobsRouter, predictRouter, modelsRouter, healthRouter, metricsRouter, docsRouter]) {
      expect(factoryNames.some((n) => n.endsWith(`:${f.name}`)), f.name).toBe(true);
    }
    expect(routes).toContain('POST /v1/jobs');
    expect(routes).toContain('GET /v1/jobs/{id}');
    expect(routes).toContain('POST /v1/jobs/{id}/cancel');
    expect(routes).toContain('POST /predict');
    expect(mounts).toContain('/docs');
  });

  it('documents every registered route', () => {
    const documented = new Set(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    const missing = [...routes].filter((r) => !documented.has(r));
    expect(missing, 'routes served but not in api/openapi.ts').toEqual([]);
  });

  it('implements every documented route (batches may be documented ahead of their routes)', () => {
    const extra = operations
      .filter((o) => !isBatchOperation(o))
      .map((o) => `${o.method.toUpperCase()} ${o.path}`)
      .filter((r) => !routes.has(r) && !(r.startsWith('GET ') && mounts.has(r.slice(4))));
    expect(extra, 'documented but not served').toEqual([]);
  });

  it('documents the batch endpoints of API.md under the batches tag', () => {
    const batch = operations.filter(isBatchOperation).map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();
    expect(batch).toEqual(
      [
        'POST /v1/batches',
        'POST /v1/batches/{id}/images',
        'POST /v1/batches/{id}/seal',
        'GET /v1/batches/{id}',
        'GET /v1/batches/{id}/results',
        'GET /v1/batches/{id}/jobs',
        'GET /v1/batches/{id}/events',
        'POST /v1/batches/{id}/cancel',
      ].sort(),
    );
    const create = (paths['/v1/batches'] as Obj).post as Obj;
    expect(Object.keys(((create.requestBody as Obj).content as Obj)).sort()).toEqual(['application/json', 'application/x-ndjson', 'multipart/form-data']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real answers of the routes that need no Redis, checked against the documented schemas.

/** A small validator for the subset of schema the document uses; strict about undocumented object keys. */
function validate(schema: unknown, value: unknown, at = '$'): string[] {
  const s = deref(schema);
  if (value === null) return s.nullable ? [] : [`${at}: null but not nullable`];
  const errors: string[] = [];
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf) errors.push(...validate(sub, value, at).filter((e) => !e.includes('undocumented key')));
  }
  const type = s.type as string | undefined;
  const typeOk =
    type === undefined ||
    (type === 'integer' ? Number.isInteger(value) : type === 'array' ? Array.isArray(value) : type === 'object' ? typeof value === 'object' && !Array.isArray(value) : typeof value === type);
  if (!typeOk) return [...errors, `${at}: expected ${type}, got ${JSON.stringify(value)}`];
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at}: ${value} < ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${at}: ${value} > ${s.maximum}`);
  }
  if (typeof value === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) errors.push(`${at}: ${value} !~ ${s.pattern}`);
  if (Array.isArray(value)) value.forEach((v, i) => s.items && errors.push(...validate(s.items, v, `${at}[${i}]`)));
  if (type === 'object' || s.properties || s.allOf) {
    const obj = value as Obj;
    const props = knownProperties(s);
    for (const r of requiredOf(s)) if (!(r in obj)) errors.push(`${at}: missing required ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) {
        if (!s.allOf) errors.push(...validate(props[k], v, `${at}.${k}`));
      } else if (s.additionalProperties !== true && Object.keys(props).length > 0) {
        errors.push(`${at}: undocumented key ${k}`);
      }
    }
  }
  return errors;
}
function knownProperties(schema: unknown): Record<string, unknown> {
  const s = deref(schema);
  return Object.assign({}, ...((s.allOf as unknown[]) ?? []).map(knownProperties), s.properties ?? {}) as Record<string, unknown>;
}
function requiredOf(schema: unknown): string[] {
  const s = deref(schema);
  return [...((s.allOf as unknown[]) ?? []).flatMap(requiredOf), ...((s.required as string[]) ?? [])];
}

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
    expect(validate({ $ref: '#/components/schemas/Error' }, { error: { code: 'x', message: 'm' } })).toEqual(['$: missing required request_id']);
    expect(validate({ $ref: '#/components/schemas/Info' }, { service: 'inferq' }).length).toBeGreaterThan(5);
  });
});
