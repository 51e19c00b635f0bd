import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Metrics the inferq processes emit (see docs/observability.md). Histograms also expose _bucket, _sum, _count. */
const INFERQ_METRICS = {
  gauges: [
    'inferq_queue_jobs',
    'inferq_queue_oldest_waiting_seconds',
    'inferq_queue_backlog_per_worker',
    'inferq_workers_alive',
    'inferq_redis_up',
    'inferq_event_streams',
  ],
  counters: [
    'inferq_jobs_submitted_total',
    'inferq_jobs_finished_total',
    'inferq_job_failures_total',
    'inferq_jobs_deadline_expired_total',
    'inferq_result_cache_total',
    'inferq_batch_flushes_total',
    'inferq_webhook_deliveries_total',
    'inferq_tenant_jobs_submitted_total',
  ],
  histograms: [
    'inferq_job_queue_wait_seconds',
    'inferq_preprocess_seconds',
    'inferq_batch_inference_seconds',
    'inferq_job_end_to_end_seconds',
    'inferq_webhook_delivery_seconds',
    'inferq_http_request_duration_seconds',
    'inferq_batch_size',
    'inferq_result_write_seconds',
    'inferq_tenant_queue_wait_seconds',
  ],
};

/** prom-client's collectDefaultMetrics() names (v15) less the `_total` gauges shared/metrics.ts drops, plus `up`. */
const DEFAULT_METRICS = [
  'up',
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_resources',
  'nodejs_active_handles',
  'nodejs_active_requests',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds_bucket',
  'nodejs_gc_duration_seconds_sum',
  'nodejs_gc_duration_seconds_count',
];

const KNOWN_METRICS = new Set<string>([
  ...INFERQ_METRICS.gauges,
  ...INFERQ_METRICS.counters,
  ...INFERQ_METRICS.histograms.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
  ...DEFAULT_METRICS,
]);

/** Words that look like identifiers in PromQL but are not series names. */
const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'atan2', 'inf', 'nan', 'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile',
  'count_values', 'group',
]);

/**
 * Series names an expression selects. Not a full PromQL parser (promtool checks syntax separately): strips
 * strings, label matchers, ranges and grouping lists, then keeps identifiers that are not calls or keywords.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const rest = stripped.slice((match.index ?? 0) + word.length);
    if (/^\s*\(/.test(rest) || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the expression. */
function withoutGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '1m')
    .replace(/\$\{?(model|tenant)\}?/g, '.*');
}

/** The `expr:` values of a rule file, plain or block scalars (enough for alerts.yml; promtool parses it fully). */
function ruleExprs(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, i) => {
    const m = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!m) return;
    const indent = (m[1] ?? '').length;
    const value = (m[2] ?? '').trim();
    if (!/^[|>][-+]?$/.test(value)) {
      exprs.push(value.replace(/^'(.*)'$/, '$1'));
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent) break;
      block.push(next.replace(/#.*$/, ''));
    }
    exprs.push(block.join('\n'));
  });
  return exprs;
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is not on PATH. Install it with: apt-get install -y prometheus (CI does).');
  }
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function expectPromtoolOk(...args: string[]): void {
  const { status, output } = promtool(...args);
  expect(status, `promtool ${args.join(' ')}\n${output}`).toBe(0);
}

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; definition?: string; datasource?: { uid?: string } }[] };
}

/** Every dashboard Grafana provisions (it loads each JSON file of grafana/dashboards). */
const dashboardDir = join(root, 'grafana/dashboards');
const dashboards = readdirSync(dashboardDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dashboardDir, f), 'utf8')) as Dashboard);
const allPanels = dashboards.flatMap((d) => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]));
const graphPanels = allPanels.filter((p) => p.type !== 'row');
const dashboardExprs = graphPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
);

/**
 * Series the processes expose after some successful traffic and nothing else: no failure, no webhook, no 4xx or
 * 5xx yet. One API and two workers, scraped every 15 s. Labelled counters that were never incremented are absent,
 * as prom-client leaves them out.
 */
function quietTrafficSeries(): { series: string; values: string }[] {
  const out: { series: string; values: string }[] = [];
  const api = 'job="inferq-api",instance="api:8080"';
  const workers = ['job="inferq-worker",instance="10.0.0.5:9464"', 'job="inferq-worker",instance="10.0.0.6:9464"'];
  const add = (name: string, labels: string, values: string) => out.push({ series: `${name}{${labels}}`, values });
  const histogram = (name: string, labels: string, les: string[]) => {
    les.forEach((le, i) => add(`${name}_bucket`, `${labels},le="${le}"`, `0+${i + 1}x40`));
    add(`${name}_bucket`, `${labels},le="+Inf"`, `0+${les.length + 1}x40`);
    add(`${name}_count`, labels, `0+${les.length + 1}x40`);
    add(`${name}_sum`, labels, '0+1.5x40');
  };
  const model = 'model="mobilenetv2"';
  add('inferq_tenant_jobs_submitted_total', `${api},tenant="public"`, '0+10x40');
  for (const q of ['inference', 'webhooks']) {
    for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']) {
      add('inferq_queue_jobs', `${api},queue="${q}",state="${state}"`, '2x40');
    }
    add('inferq_queue_oldest_waiting_seconds', `${api},queue="${q}"`, '1x40');
  }
  add('inferq_workers_alive', `${api},${model}`, '2x40');
  add('inferq_redis_up', api, '1x40');
  add('inferq_jobs_submitted_total', `${api},${model}`, '0+10x40');
  add('inferq_event_streams', `${api},kind="batch"`, '3x40');
  add('inferq_result_cache_total', `${api},${model},where="api",result="miss"`, '0+8x40');
  add('inferq_result_cache_total', `${api},${model},where="api",result="hit"`, '0+2x40');
  add('inferq_jobs_deadline_expired_total', `${api},${model},at="sweep"`, '0x40');
  const accepted = `${api},method="POST",route="/v1/jobs",status_code="202"`;
  histogram('inferq_http_request_duration_seconds', accepted, ['0.01', '0.1']);
  for (const proc of [api, ...workers]) {
    add('up', proc, '1x40');
    add('nodejs_eventloop_lag_p99_seconds', proc, '0.01x40');
    add('process_resident_memory_bytes', proc, '100000000x40');
    add('process_cpu_seconds_total', proc, '0+3x40');
    histogram('inferq_webhook_delivery_seconds', proc, []);
  }
  for (const w of workers) {
    add('inferq_jobs_finished_total', `${w},${model},status="succeeded"`, '0+5x40');
    add('inferq_batch_flushes_total', `${w},${model},reason="timeout"`, '0+2x40');
    histogram('inferq_job_queue_wait_seconds', `${w},${model}`, ['0.1', '1']);
    histogram('inferq_preprocess_seconds', `${w},${model}`, ['0.005', '0.01']);
    histogram('inferq_batch_inference_seconds', `${w},${model}`, ['0.02', '0.05']);
    histogram('inferq_job_end_to_end_seconds', `${w},${model}`, ['0.25', '0.5']);
    histogram('inferq_batch_size', `${w},${model}`, ['1', '2', '4', '8', '16', '32', '64']);
    histogram('inferq_result_write_seconds', `${w},${model}`, ['0.001', '0.0025']);
    histogram('inferq_tenant_queue_wait_seconds', `${w},tenant="public"`, ['0.1', '1']);
  }
  return out;
}

describe('prometheus configuration', () => {
  it('the compose config is valid and finds its rule file', () => {
    expectPromtoolOk('check', 'config', 'prometheus/prometheus.yml');
  });

  it('the npm start config is valid', () => {
    expectPromtoolOk('check', 'config', 'prometheus/prometheus.local.yml');
  });

  it('the alert rules are valid', () => {
    expectPromtoolOk('check', 'rules', 'prometheus/alerts.yml');
  });

  it('the alert rules pass their unit tests', () => {
    expectPromtoolOk('test', 'rules', 'prometheus/alerts.test.yml');
  });

  it('the alert rules only use metrics the service emits', () => {
    const rules = readFileSync(join(root, 'prometheus/alerts.yml'), 'utf8');
    const recorded = new Set([...rules.matchAll(/^\s*-?\s*record:\s*(\S+)/gm)].map((m) => m[1] ?? ''));
    const exprs = ruleExprs(rules);
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap((expr) => metricNames(expr).filter((n) => !KNOWN_METRICS.has(n) && !recorded.has(n)));
    expect(unknown).toEqual([]);
  });
});

describe('grafana dashboard', () => {
  it('has the expected identities and variables fed from Prometheus', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['inferq-daily', 'inferq-overview']);
    for (const d of dashboards) {
      expect(d.schemaVersion, d.uid).toBeGreaterThanOrEqual(36);
      const model = d.templating.list.find((v) => v.name === 'model');
      expect(model?.datasource?.uid, d.uid).toBe('prometheus');
      expect(model?.definition, d.uid).toMatch(/^label_values\(inferq_\w+,\s*model\)$/);
    }
    const tenant = dashboards.find((d) => d.uid === 'inferq-daily')!.templating.list.find((v) => v.name === 'tenant');
    expect(tenant?.definition).toBe('label_values(inferq_tenant_jobs_submitted_total, tenant)');
  });

  it('the daily dashboard answers its three questions, one row each', () => {
    const daily = dashboards.find((d) => d.uid === 'inferq-daily')!;
    expect(daily.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Is any tenant starving?', 'Where do the seconds go?', 'Webhook backlog']);
    const exprs = daily.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    // Every phase at p50, p95 and p99.
    for (const q of ['0.5', '0.95', '0.99']) {
      for (const m of ['inferq_job_queue_wait_seconds', 'inferq_preprocess_seconds', 'inferq_batch_inference_seconds', 'inferq_result_write_seconds']) {
        expect(exprs).toContain(`histogram_quantile(${q}, sum by (le) (rate(${m}_bucket`);
      }
    }
  });

  it('every panel queries the provisioned Prometheus data source', () => {
    expect(graphPanels.length).toBeGreaterThan(20);
    for (const panel of graphPanels) {
      expect(panel.datasource?.uid, panel.title).toBe('prometheus');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid, panel.title).toBe('prometheus');
        expect(target.expr?.trim(), panel.title).toBeTruthy();
      }
    }
    for (const d of dashboards) {
      const ids = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('every expression only selects metrics the service emits', () => {
    const unknown = dashboardExprs.flatMap(({ panel, expr }) =>
      metricNames(expr)
        .filter((name) => !KNOWN_METRICS.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // Guard the guard: the extractor must find the series in a typical expression.
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket{m=~"$model"}[5m]))) / on () b')).toEqual([
      'a_bucket',
      'b',
    ]);
  });

  it('every expression returns data once the service has handled some jobs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferq-dashboard-'));
    try {
      // count() is 1 or more exactly when the expression returns at least one series (NaN values included).
      const tests = dashboardExprs.map(({ expr }) => ({
        expr: `clamp_max(count(${withoutGrafanaVariables(expr)}), 1)`,
        eval_time: '10m',
        exp_samples: [{ labels: '{}', value: 1 }],
      }));
      const spec = {
        rule_files: [],
        evaluation_interval: '15s',
        tests: [{ interval: '15s', input_series: quietTrafficSeries(), promql_expr_test: tests }],
      };
      const file = join(dir, 'dashboard-data.test.yml');
      writeFileSync(file, JSON.stringify(spec, null, 1)); // JSON is YAML
      expectPromtoolOk('test', 'rules', file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every expression is valid PromQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inferq-dashboard-'));
    try {
      const rules = dashboardExprs
        .map(({ expr }, i) => {
          const promql = JSON.stringify(withoutGrafanaVariables(expr));
          return `      - record: dashboard:expr_${i}\n        expr: ${promql}`;
        })
        .join('\n');
      const file = join(dir, 'dashboard-exprs.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      expectPromtoolOk('check', 'rules', file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
