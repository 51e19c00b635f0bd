import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';

/**
 * What the API's and a worker's `/metrics` really expose, after traffic that touches every metric (a success,
 * a failure, a webhook): `promtool check metrics` accepts both, OpenMetrics is served to scrapers that ask for
 * it without disturbing the text format, and every metric docs/observability.md names exists.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let apiUrl: string;
let workerUrl: string;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  apiUrl = `${stack.url}/metrics`;
  workerUrl = `http://127.0.0.1:${stack.workers[0]!.metricsPort}/metrics`;
  const ok = (await (await postImage(stack.url, await solidImage([250, 5, 5]), { webhook_url: sink.url('/ok') })).json()) as { id: string };
  expect((await pollJob(stack.url, ok.id)).status).toBe('succeeded');
  const png = await solidImage([5, 5, 250], { format: 'png' });
  const cut = Buffer.concat([png.subarray(0, Math.floor(png.length / 2)), png.subarray(-12)]);
  const bad = (await (await postImage(stack.url, cut)).json()) as { id: string };
  expect((await pollJob(stack.url, bad.id)).status).toBe('failed');
  await sink.waitFor('/ok', 1);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

async function scrape(url: string, accept?: string): Promise<{ type: string; body: string }> {
  const res = await fetch(url, { headers: accept ? { accept } : {} });
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type') ?? '', body: await res.text() };
}

function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is not on PATH. Install it with: apt-get install -y prometheus (CI does).');
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Metric families of a text exposition, from its `# TYPE` lines. */
const families = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));

describe('/metrics exposition', () => {
  it.each([
    ['API', () => apiUrl],
    ['worker', () => workerUrl],
  ])('promtool check metrics passes on the %s', async (_name, url) => {
    const { type, body } = await scrape(url());
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain('nodejs_eventloop_lag_p99_seconds');
    const { status, output } = promtoolCheck(body);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it.each([
    ['API', () => apiUrl, 'inferq_jobs_submitted'],
    ['worker', () => workerUrl, 'inferq_jobs_finished'],
  ])('the %s answers OpenMetrics to a scraper that prefers it, and text again afterwards', async (_name, url, counter) => {
    const om = await scrape(url(), PROMETHEUS_ACCEPT);
    expect(om.type).toBe(OPENMETRICS);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toMatch(new RegExp(`^# TYPE ${counter} counter$`, 'm'));
    expect(om.body).toMatch(new RegExp(`^${counter}_total\\{`, 'm'));
    // Scrapes in flight together: the text ones keep their counter names (prom-client renames them in place
    // while writing OpenMetrics).
    const mixed = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => scrape(url(), i % 2 ? 'application/openmetrics-text' : undefined)));
    for (const [i, s] of mixed.entries()) {
      if (i % 2) expect(s.type).toBe(OPENMETRICS);
      else {
        expect(s.type).toMatch(/^text\/plain/);
        expect(s.body).toMatch(new RegExp(`^# TYPE ${counter}_total counter$`, 'm'));
        expect(promtoolCheck(s.body).status).toBe(0);
      }
    }
  });

  it('every metric docs/observability.md names is exposed by the API or a worker', async () => {
    const doc = readFileSync(`${root}docs/observability.md`, 'utf8');
    const tables = doc.split('\n').filter((l) => l.startsWith('|')).join('\n');
    const named = [...new Set([...tables.matchAll(/`((?:inferq|process|nodejs)_[a-z0-9_]+)`/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(15);
    const exposed = new Set([...families((await scrape(apiUrl)).body), ...families((await scrape(workerUrl)).body)]);
    expect(named.filter((n) => !exposed.has(n))).toEqual([]);
  });
});
