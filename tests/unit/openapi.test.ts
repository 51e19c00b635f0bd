import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RequestHandler, Router } from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../api/openapi/index.js';
import { jobsRouter } from '../../api/routes/jobs.js';
import { predictRouter } from '../../api/routes/predict.js';
import { modelsRouter } from '../../api/routes/models.js';
import { healthRouter } from '../../api/routes/health.js';
import { metricsRouter } from '../../api/routes/metrics.js';
import { docsRouter } from '../../api/routes/docs.js';
import { loadConfig } from '../../shared/config.js';
import type { JobInput, JobTimings, JobView, WebhookDelivery } from '../../shared/job-types.js';
import type { Prediction } from '../../shared/contract/prediction.js';
import { resolver, validator, type Obj } from './openapi-validate.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
const ROUTES_DIR = fileURLToPath(new URL('../../api/routes/', import.meta.url));

const doc = openApiDocument() as Obj;
const paths = doc.paths as Record<string, Obj>;
const { resolvePointer, deref } = resolver(doc);
const { allowsNull } = validator(doc);

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
  it('is an OpenAPI 3.1 document with info, servers and paths', () => {
    expect(doc.openapi).toBe('3.1.0');
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
    const form = deref((((op.requestBody as Obj).content as Obj)['multipart/form-data'] as Obj).schema);
    const props = form.properties as Record<string, Obj>;
    expect(form.anyOf).toEqual([{ required: ['image'] }, { required: ['file'] }, { required: ['image_url'] }]);
    expect(props.image_url).toMatchObject({ type: 'string', format: 'uri' });
    const body = deref((((op.requestBody as Obj).content as Obj)['application/json'] as Obj).schema);
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
      expect(allowsNull(job[f]), `Job.${f} is nullable`).toBe(true);
    }
    for (const name of ['Error', 'Job', 'Prediction', 'Timings', 'Model', 'Batch']) expect(schemas[name], name).toBeDefined();
  });
});

describe('OpenAPI document: security and the errors it brings', () => {
  const schemes = (doc.components as Obj).securitySchemes as Record<string, Obj>;

  it('declares the API key (bearer and X-API-Key) and the admin token', () => {
    expect(schemes.bearerApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('gives every operation its security, and 401/429/503 (with Retry-After) where the API key guards it', () => {
    for (const { method, path: p, op } of operations) {
      const where = `${method.toUpperCase()} ${p}`;
      expect(Array.isArray(op.security), `${where} has security`).toBe(true);
      const names = (op.security as Obj[]).flatMap((s) => Object.keys(s));
      for (const n of names) expect(schemes[n], `${where}: scheme ${n}`).toBeDefined();
      const responses = op.responses as Obj;
      if (names.includes('bearerApiKey')) {
        expect(names, where).toContain('apiKeyHeader');
        for (const s of ['401', '429', '503']) expect(responses[s], `${where} ${s}`).toBeDefined();
      }
      if (names.includes('adminToken')) for (const s of ['401', '403']) expect(responses[s], `${where} ${s}`).toBeDefined();
    }
    const open = operations.filter((o) => (o.op.security as unknown[]).length === 0).map((o) => o.path).sort();
    expect(open).toEqual(['/docs', '/health', '/openapi.json', '/ready']);
  });

  it('types every uploaded file as binary', () => {
    const schemas = (doc.components as Obj).schemas as Record<string, Obj>;
    const form = (name: string) => schemas[name]!.properties as Record<string, Obj>;
    expect(form('JobForm').image).toMatchObject({ type: 'string', format: 'binary' });
    expect(form('BatchForm').images!.items).toMatchObject({ type: 'string', format: 'binary' });
    expect(form('BatchImagesForm').images!.items).toMatchObject({ type: 'string', format: 'binary' });
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
    expect(missing, 'routes served but not in api/openapi/').toEqual([]);
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
