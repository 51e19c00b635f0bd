import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../shared/free-port.js';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';

/**
 * The dashboard and the rules against a REAL Prometheus scraping a running inferq (API and worker in this
 * process, tiny model): every panel query must be valid and return data once the service has seen successes, a
 * failure, 4xx answers and webhooks; every rule group must load and evaluate without error. promtool.test.ts
 * checks the same files against synthetic series; this one catches what only real exposition shows (label
 * names and values, which series exist when, matching between API and worker series).
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = 'tiny-colour';
/** Without API keys every request is the `public` tenant. */
const TENANT = 'public';
const SCRAPE = '1s';
/** What Grafana would put for $__rate_interval / $__interval with a 1 s scrape interval, rounded up generously. */
const RATE_INTERVAL = '15s';

function findPrometheus(): string {
  const candidates = [
    process.env.PROMETHEUS_BIN,
    '/usr/bin/prometheus',
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'prometheus')),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error('prometheus is not installed (looked for /usr/bin/prometheus and on PATH). Install it with: apt-get install -y prometheus');
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; definition?: string }[] };
}
/** Every dashboard Grafana provisions from grafana/dashboards. */
const dashboards = readdirSync(join(root, 'grafana/dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(root, 'grafana/dashboards', f), 'utf8')) as Dashboard);
const panelQueries = dashboards
  .flatMap((d) => d.panels.map((p) => ({ ...p, title: `${d.uid}: ${p.title}` })))
  .flatMap((p) => [p, ...(p.panels ?? [])])
  .filter((p) => p.type !== 'row')
  .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${p.title} (#${p.id} ${t.refId ?? ''})`, expr: t.expr ?? '' })));

/** Grafana's variables as Grafana would expand them: "All" (`.*`) or one selected value. */
function expand(expr: string, model: string, tenant: string): string {
  const out = expr
    .replace(/\$\{model(?::\w+)?\}|\[\[model\]\]|\$model\b/g, model)
    .replace(/\$\{tenant(?::\w+)?\}|\[\[tenant\]\]|\$tenant\b/g, tenant)
    .replace(/\$__rate_interval\b|\$\{__rate_interval\}/g, RATE_INTERVAL)
    .replace(/\$__interval\b|\$\{__interval\}/g, RATE_INTERVAL)
    .replace(/\$__range\b|\$\{__range\}/g, '1m');
  if (out.includes('$')) throw new Error(`a dashboard variable this test does not know: ${expr}`);
  return out;
}

/** Labels the dashboard's `or vector(0)` fallbacks put on their placeholder series. */
const FALLBACK_LABELS = ['code', 'outcome', 'route', 'model'];

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface RuleGroup {
  name: string;
  rules: { name: string; type: 'alerting' | 'recording'; health: string; lastError?: string; state?: string; query: string }[];
}

class Prometheus {
  private stderr = '';
  exited: { code: number | null; signal: string | null } | null = null;
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-8000);
    });
    child.stdout?.resume();
    child.once('exit', (code, signal) => (this.exited = { code, signal }));
  }

  /** Starts a Prometheus on a free loopback port scraping `targets` (job name → host:port) with `ruleFile`. */
  static async start(targets: Record<string, string>, ruleFile: string): Promise<Prometheus> {
    const bin = findPrometheus();
    const dir = mkdtempSync(join(tmpdir(), 'inferq-prometheus-'));
    const config = {
      global: { scrape_interval: SCRAPE, scrape_timeout: SCRAPE, evaluation_interval: SCRAPE },
      rule_files: [ruleFile],
      scrape_configs: Object.entries(targets).map(([job, target]) => ({
        job_name: job,
        metrics_path: '/metrics',
        static_configs: [{ targets: [target] }],
      })),
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, JSON.stringify(config, null, 1)); // JSON is YAML
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(
        bin,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1h',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const p = new Prometheus(`http://127.0.0.1:${port}`, child, dir);
      try {
        await p.waitReady(30_000);
        return p;
      } catch (err) {
        await p.stop(false);
        // Another process may have taken the port between freePort() and Prometheus binding it.
        if (attempt >= 3 || !/address already in use/i.test(p.stderr)) {
          rmSync(dir, { recursive: true, force: true });
          throw err;
        }
      }
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`prometheus exited (${JSON.stringify(this.exited)}):\n${this.stderr}`);
      const ok = await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${this.stderr}`);
      await sleep(100);
    }
  }

  async api<T>(path: string, form?: Record<string, string>): Promise<PromResponse<T>> {
    const res = await fetch(`${this.url}${path}`, form ? { method: 'POST', body: new URLSearchParams(form) } : undefined);
    return (await res.json()) as PromResponse<T>;
  }

  query(expr: string): Promise<PromResponse<{ resultType: string; result: Sample[] }>> {
    return this.api('/api/v1/query', { query: expr });
  }

  get log(): string {
    return this.stderr;
  }

  /** SIGTERM, then SIGKILL after 10 s; removes the data directory unless told not to. */
  async stop(removeDir = true): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** For process exit: the child must not outlive the test run. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

let stack: Stack | undefined;
let sink: Awaited<ReturnType<typeof startWebhookSink>> | undefined;
let prom: Prometheus | undefined;
const killProm = () => prom?.killNow();

beforeAll(async () => {
  // Fails (does not skip) when Prometheus is missing, before anything else starts.
  findPrometheus();
  sink = await startWebhookSink();
  stack = await startStack({
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE: '300ms',
    WEBHOOK_TIMEOUT_MS: '2000',
  });
  const api = new URL(stack.url);
  prom = await Prometheus.start(
    {
      'inferq-api': `127.0.0.1:${api.port}`,
      'inferq-worker': `127.0.0.1:${stack.workers[0]!.metricsPort}`,
    },
    join(root, 'prometheus/alerts.yml'),
  );
  process.once('exit', killProm);
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  process.off('exit', killProm);
  await stack?.stop();
  await sink?.close();
});

/** Polls `check` until it returns null (done) or the deadline passes; returns the last complaint. */
async function eventually(check: () => Promise<string | null>, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await check();
    if (problem === null || Date.now() > deadline) return problem;
    await sleep(500);
  }
}

/** Successes, webhooks delivered at once and after one failure, a failed job, some 4xx answers. */
async function sendTraffic(s: Stack, hooks: NonNullable<typeof sink>) {
  const submit = async (image: Buffer, fields: Record<string, string> = {}) => {
    const res = await postImage(s.url, image, fields);
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const ids: string[] = [];
  for (const c of COLOURS.slice(0, 6)) ids.push(await submit(await solidImage(c.rgb)));
  const red = await solidImage([250, 5, 5]);
  ids.push(await submit(red, { webhook_url: hooks.url('/ok') }));
  ids.push(await submit(red, { webhook_url: hooks.url('/fail/1') }));
  for (const id of ids) expect((await pollJob(s.url, id)).status).toBe('succeeded');

  // A PNG whose header is fine and which still ends with an IEND chunk (the API accepts it), but whose pixel data
  // is cut short: the worker fails it with invalid_image.
  const png = await solidImage([5, 5, 250], { format: 'png' });
  const truncated = await submit(Buffer.concat([png.subarray(0, Math.floor(png.length / 2)), png.subarray(-12)]));
  const failed = await pollJob(s.url, truncated);
  expect(failed.status).toBe('failed');
  expect(failed.error?.code).toBe('invalid_image');

  expect((await fetch(`${s.url}/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV`)).status).toBe(404);
  expect((await postImage(s.url, red, { model: 'no-such-model' })).status).toBe(404);
  expect((await postImage(s.url, Buffer.from('not an image at all'))).status).toBe(415);
  expect((await fetch(`${s.url}/no-such-route`)).status).toBe(404);

  await hooks.waitFor('/ok', 1);
  await hooks.waitFor('/fail/1', 2);
}

describe('live Prometheus over a running inferq', () => {
  it('scrapes the API and the worker under their job names', async () => {
    const problem = await eventually(async () => {
      const r = await prom!.query('up');
      const up = Object.fromEntries(r.data.result.map((s) => [s.metric.job, s.value[1]]));
      return up['inferq-api'] === '1' && up['inferq-worker'] === '1' ? null : `up: ${JSON.stringify(up)}`;
    }, 20_000);
    expect(problem, prom!.log).toBeNull();
  }, 30_000);

  it('answers every dashboard panel query with data after some traffic', async () => {
    await sendTraffic(stack!, sink!);
    // Several scrapes after the last counter moved, so every rate() window holds at least two samples of it.
    await sleep(4_000);

    const queries = panelQueries.flatMap(({ panel, expr }) =>
      [['.*', '.*'], [MODEL, TENANT]].map(([model, tenant]) => ({ panel: `${panel} [model=${model} tenant=${tenant}]`, expr: expand(expr, model!, tenant!) })),
    );
    expect(queries.length).toBeGreaterThan(80);
    const failures = async () => {
      const out: string[] = [];
      for (const q of queries) {
        const r = await prom!.query(q.expr);
        if (r.status !== 'success') out.push(`${q.panel}: ${r.errorType}: ${r.error}\n  ${q.expr}`);
        else if (r.data.result.length === 0) out.push(`${q.panel}: no data\n  ${q.expr}`);
        else {
          // The `or vector(0)` placeholders must not stand in for series this traffic produced.
          const placeholder = r.data.result.find((s) => FALLBACK_LABELS.some((l) => s.metric[l] === 'none'));
          if (placeholder) out.push(`${q.panel}: only the "none" placeholder, the real series are missing\n  ${q.expr}`);
        }
      }
      return out.length ? out.join('\n') : null;
    };
    expect(await eventually(failures, 20_000)).toBeNull();
  }, 90_000);

  it.each([
    ['inferq-overview', 'model', MODEL],
    ['inferq-daily', 'model', MODEL],
    ['inferq-daily', 'tenant', TENANT],
  ])('%s fills the %s variable from Prometheus', async (uid, name, expected) => {
    const def = dashboards.find((d) => d.uid === uid)!.templating.list.find((v) => v.name === name)?.definition ?? '';
    const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(def);
    expect(m, def).not.toBeNull();
    let values: unknown;
    const problem = await eventually(async () => {
      const r = await prom!.api<string[]>(`/api/v1/label/${m![2]}/values?match[]=${encodeURIComponent(m![1]!)}`);
      values = r.data;
      return r.status === 'success' && r.data.length > 0 ? null : `${r.status}: ${r.error ?? JSON.stringify(r.data)}`;
    }, 10_000);
    expect(problem).toBeNull();
    expect(values).toEqual([expected]);
  });

  it('loads every rule group of alerts.yml and evaluates every rule without error', async () => {
    const file = readFileSync(join(root, 'prometheus/alerts.yml'), 'utf8');
    const groupNames = [...file.matchAll(/^\s*- name:\s*(\S+)/gm)].map((g) => g[1]);
    const ruleCount = [...file.matchAll(/^\s*- (?:alert|record):/gm)].length;
    let groups: RuleGroup[] = [];
    const problem = await eventually(async () => {
      const r = await prom!.api<{ groups: RuleGroup[] }>('/api/v1/rules');
      if (r.status !== 'success') return `rules: ${r.error}`;
      groups = r.data.groups;
      const bad = groups.flatMap((g) => g.rules.filter((rule) => rule.health !== 'ok').map((rule) => `${g.name}/${rule.name}: ${rule.health} ${rule.lastError ?? ''}`));
      return bad.length ? bad.join('\n') : null;
    }, 15_000);
    expect(groups.map((g) => g.name).sort()).toEqual([...groupNames].sort());
    expect(groups.flatMap((g) => g.rules)).toHaveLength(ruleCount);
    expect(groups.flatMap((g) => g.rules).filter((rule) => rule.health === 'err')).toEqual([]);
    expect(problem).toBeNull();

    // The recording rules produce series from the live data.
    const records = groups.flatMap((g) => g.rules).filter((rule) => rule.type === 'recording');
    expect(records.length).toBeGreaterThan(0);
    const empty = await eventually(async () => {
      const missing: string[] = [];
      for (const rule of records) if ((await prom!.query(rule.name)).data.result.length === 0) missing.push(rule.name);
      return missing.length ? `no series yet: ${missing.join(', ')}` : null;
    }, 15_000);
    expect(empty).toBeNull();

    // A healthy stack with a live worker for its model: the worker alerts are not even pending.
    const alerting = groups.flatMap((g) => g.rules).filter((rule) => rule.type === 'alerting');
    const workerAlerts = alerting.filter((rule) => /NoLiveWorker|ModelWithoutWorker/.test(rule.name));
    expect(workerAlerts.length).toBeGreaterThan(0);
    for (const rule of workerAlerts) expect(rule.state, rule.name).toBe('inactive');
  }, 60_000);
});
