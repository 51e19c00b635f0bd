/**
 * deploy/kubernetes and the compose autoscaling recipe, checked offline: every manifest against the Kubernetes
 * (kubernetes-models) and KEDA (@kubernetes-models/keda) schemas, their settings against inferq's own config,
 * and the scaler's PromQL against a real API's /metrics, evaluated by promtool over what that API exported.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { loadConfig } from '../../shared/config.js';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';

const DIR = 'deploy/kubernetes';
type Obj = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any };
const MODEL_OF: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: (Obj & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((d) => ({ ...(d.toJS() as Obj), file })),
);
const one = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${DIR}`);
  return found;
};
const container = (d: Obj) => d.spec.template.spec.containers[0];
const configMap = one('ConfigMap', 'inferq-config').data as Record<string, string>;
const secret = one('Secret', 'inferq-secrets').stringData as Record<string, string>;
const config = loadConfig({ ...configMap, ...secret });
const scaler = one('ScaledObject', 'inferq-worker');

describe('deploy/kubernetes', () => {
  it('every manifest validates against its schema, and kustomization lists all but the example Secret', () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const o of objects) {
      const Model = MODEL_OF[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.file}: no schema for ${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.file} ${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    const kustomization = parseAllDocuments(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
  });

  it('a broken manifest is caught (the schemas are really applied)', () => {
    const bad = structuredClone(one('Deployment', 'inferq-worker'));
    bad.spec.template.spec.terminationGracePeriodSeconds = '45';
    expect(() => new Deployment(bad).validate()).toThrow(/terminationGracePeriodSeconds/);
    const badScaler = structuredClone(scaler) as any;
    badScaler.spec.triggers[0].metadata.threshold = 32;
    expect(() => new ScaledObject(badScaler).validate()).toThrow(/threshold/);
  });

  it('settings load through inferq config, and every key is documented for operators', () => {
    expect(config.redis.spec?.kind).toBe('sentinel');
    const docs = fs.readFileSync('README.md', 'utf8') + fs.readFileSync('docs/deployment.md', 'utf8');
    for (const key of [...Object.keys(configMap), ...Object.keys(secret)]) expect(docs, key).toMatch(new RegExp(`\`${key}[\`=]`));
    for (const name of ['inferq-api', 'inferq-worker']) {
      const refs = container(one('Deployment', name)).envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name);
      expect(refs, name).toEqual(['inferq-config', 'inferq-secrets']);
    }
  });

  it('API: readiness on /ready (also with workers at zero), liveness on /health, the Service on its port', () => {
    const api = one('Deployment', 'inferq-api');
    const c = container(api);
    expect(c.readinessProbe.httpGet.path).toBe('/ready?workers=optional');
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(c.ports.find((p: any) => p.name === c.readinessProbe.httpGet.port).containerPort).toBe(config.http.port);
    const svc = one('Service', 'inferq-api');
    expect(api.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(c.ports.map((p: any) => p.name)).toContain(svc.spec.ports[0].targetPort);
  });

  it('worker: grace longer than the shutdown budget, one requested core per inference thread, probes on its metrics port', () => {
    const worker = one('Deployment', 'inferq-worker');
    const c = container(worker);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.worker.shutdownTimeoutMs);
    const cores = String(c.resources.requests.cpu).endsWith('m') ? parseInt(c.resources.requests.cpu, 10) / 1000 : Number(c.resources.requests.cpu);
    expect(cores).toBeGreaterThanOrEqual(config.worker.inferenceThreads);
    expect(c.ports.find((p: any) => p.name === c.livenessProbe.httpGet.port).containerPort).toBe(config.worker.metricsPort);
    expect(c.args).toEqual(['node', 'dist/worker/main.js']);
  });

  it('KEDA scales the worker Deployment from and to zero', () => {
    expect(scaler.spec.scaleTargetRef.name).toBe('inferq-worker');
    expect(scaler.spec.minReplicaCount).toBe(0);
    expect(scaler.spec.maxReplicaCount).toBeGreaterThan(0);
    for (const t of scaler.spec.triggers) {
      expect(t.type).toBe('prometheus');
      expect(t.metadata.activationThreshold).toBe('0');
    }
  });
});

describe('the scaler queries and the compose recipe, against a real API', () => {
  let stack: Stack;
  let metrics: string;
  // No worker: what is submitted stays waiting (or prioritized), as at zero replicas.
  beforeAll(async () => {
    stack = await startStack({}, { workers: 0 });
    const image = await solidImage(COLOURS[0]!.rgb);
    for (let i = 0; i < 3; i++) expect((await postImage(stack.url, image)).status).toBe(202);
    expect((await postImage(stack.url, image, { priority: '5' })).status).toBe(202);
    metrics = await (await fetch(`${stack.url}/metrics`)).text();
  });
  afterAll(async () => stack?.stop());

  it('exports the backlog per worker: the whole backlog while no worker is live', () => {
    expect(metrics.split('\n').filter((l) => l.startsWith('inferq_queue_backlog_per_worker'))).toEqual([
      'inferq_queue_backlog_per_worker{queue="inference",role="api"} 4',
      'inferq_queue_backlog_per_worker{queue="webhooks",role="api"} 0',
      'inferq_queue_backlog_per_worker{queue="image-fetch",role="api"} 0',
    ]);
  });

  it('every series each query selects is exported, and promtool evaluates the queries to the backlog over two API replicas', () => {
    const samples = metrics.split('\n').filter((l) => l.startsWith('inferq_queue_jobs{'));
    for (const t of scaler.spec.triggers) {
      const q: string = t.metadata.query;
      const [, name, matchers] = /(inferq_\w+)\{([^}]*)\}/.exec(q)!;
      for (const [, label, op, value] of matchers!.matchAll(/(\w+)\s*(=~|=)\s*"([^"]*)"/g)) {
        const wanted = op === '=' ? [value!] : value!.split('|');
        for (const v of wanted) expect(metrics, `${name}{${label}="${v}"}`).toMatch(new RegExp(`^${name}\\{[^}]*${label}="${v}"`, 'm'));
      }
    }
    // Two API replicas report the same Redis-wide counts: the query must not add them up.
    const series = (instance: string) =>
      samples.map((l) => {
        const [sel, value] = [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)];
        return `      - series: '${sel.replace('{', `{instance="${instance}",`)}'\n        values: '${value}x5'`;
      });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferq-keda-'));
    try {
      fs.writeFileSync(path.join(dir, 'rules.yml'), 'groups: []\n');
      const expected = [4, 0];
      const tests = scaler.spec.triggers.map((t: any, i: number) =>
        `      - expr: '${t.metadata.query}'\n        eval_time: 1m\n        exp_samples:\n          - labels: '{}'\n            value: ${expected[i]}`,
      );
      fs.writeFileSync(path.join(dir, 'test.yml'), [
        'rule_files: [rules.yml]', 'evaluation_interval: 1m', 'tests:', '  - interval: 1m', '    input_series:',
        ...series('10.0.0.1:8080'), ...series('10.0.0.2:8080'), '    promql_expr_test:', ...tests, '',
      ].join('\n'));
      const r = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the compose recipe reads the same backlog and asks for ceil(backlog / TARGET) workers', async () => {
    expect((await recipe(stack.url, { TARGET: '3' })).stdout.trim()).toBe('backlog=4 workers=2');
    expect((await recipe(stack.url, { TARGET: '32' })).stdout.trim()).toBe('backlog=4 workers=1');
    expect((await recipe(stack.url, { TARGET: '1', MAX: '3' })).stdout.trim()).toBe('backlog=4 workers=3');
    const down = await recipe('http://127.0.0.1:9', {});
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('no backlog reading');
  });
});

/** Runs the recipe once (a dry run). Asynchronously: the API it reads runs in this process. */
function recipe(apiUrl: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['deploy/compose/autoscale.sh'], { env: { PATH: process.env.PATH, API_URL: apiUrl, ONCE: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
