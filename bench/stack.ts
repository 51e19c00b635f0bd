import fs from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, freePortRun } from '../shared/free-port.js';
import { BenchClient } from './http-client.js';
import type { Watched } from './measure.js';
import { FatalWait, childPids, cmdline, removeOnExit, spawnGroup, stopGroup, waitUntil, type Spawned } from './procs.js';
import { processStartedAt, sampleProc } from './proc-stats.js';
import { round } from './stats.js';

/** How long each process took from its own start until it answered: API `/health`, worker `/health` (after model load and warm-up). */
export interface Startup {
  apiReadyMs: number;
  workerReadyMs: number[];
  /** From the first spawn until the API's `/ready` said 200 (Redis up and a worker alive). */
  systemReadyMs: number;
  /** Resident memory of each process right after it became ready, before any job, MB. */
  rssAtReadyMb: Record<string, number>;
}

export interface RunningStack {
  layout: string;
  apiPort: number;
  client: BenchClient;
  workerMetricsUrls: string[];
  apiMetricsUrl: string;
  procs: Watched[];
  prefix: string;
  startup: Startup;
  env: Record<string, string>;
  stop: () => Promise<void>;
}

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/**
 * The service runs as `npm start` runs it: compiled JavaScript (npm run build:fast) with plain node, not under
 * tsx, whose loader costs startup time and memory that a user does not pay.
 */
let built = false;
function buildOnce() {
  if (built) return;
  const r = spawnSync('npm', ['run', '-s', 'build:fast'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:fast failed');
  built = true;
}
const node = (rel: string, env: Record<string, string>) => {
  buildOnce();
  return spawnGroup(process.execPath, [path.join(REPO, 'dist', `${rel}.js`)], { cwd: REPO, env: { ...process.env, ...env } });
};

async function baseEnv(redisUrl: string, uploadDir: string, dataDir: string) {
  return {
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
    MODEL_MIRROR: path.resolve(process.env.INFERQ_SHARED ?? path.join(REPO, '../shared'), 'models'),
    LOG_LEVEL: 'warn',
    UPLOAD_DIR: uploadDir,
    DATA_DIR: dataDir,
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    // The bench resends the same photos to measure the workers: answers from the result cache would not.
    RESULT_CACHE_SECONDS: '0',
  };
}

/**
 * Starts the service as `npm start` does (`layout: standalone`: the launcher with the API and one worker as its
 * children) or as separate processes (`split`: the API and `workers` workers, each spawned here).
 */
export async function startStack(
  layout: 'standalone' | 'split',
  redisUrl: string,
  opts: { workers?: number; workerEnv?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunningStack> {
  const tmp = removeOnExit(await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-bench-')));
  const env: Record<string, string> = await baseEnv(redisUrl, path.join(tmp, 'uploads'), path.join(tmp, 'data'));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const client = new BenchClient(Number(env.PORT));
  const groups: Spawned[] = [];
  const stop = async () => {
    client.close();
    await Promise.all(groups.map((g) => stopGroup(g.pid, 10_000)));
    await fs.rm(tmp, { recursive: true, force: true });
  };
  try {
    const metricsPorts: number[] = [];
    const procs: Watched[] = [];
    let apiStart: number;
    let workerStarts: number[];
    const t0 = performance.now();
    if (layout === 'standalone') {
      // The launcher gives its workers consecutive metrics ports from WORKER_METRICS_PORT.
      const workers = Number(process.env.STANDALONE_WORKERS ?? Math.min(4, os.availableParallelism()));
      const base = await freePortRun(workers);
      for (let i = 0; i < workers; i++) metricsPorts.push(base + i);
      const launcher = node('api/standalone/main', { ...env, ...opts.workerEnv, WORKER_METRICS_PORT: String(base), STANDALONE_WORKERS: String(workers) });
      groups.push(launcher);
      const [api, workerPids] = await findChildren(launcher, workers, timeoutMs);
      procs.push({ label: 'launcher', pid: launcher.pid }, { label: 'api', pid: api });
      workerPids.forEach((pid, i) => procs.push({ label: workers === 1 ? 'worker' : `worker-${i + 1}`, pid }));
      apiStart = processStartedAt(api) ?? t0;
      workerStarts = workerPids.map((pid) => processStartedAt(pid) ?? t0);
    } else {
      const api = node('api/main', env);
      groups.push(api);
      procs.push({ label: 'api', pid: api.pid });
      apiStart = api.startedAt;
      workerStarts = [];
      for (let i = 0; i < (opts.workers ?? 2); i++) {
        const port = await freePort();
        metricsPorts.push(port);
        const w = node('worker/main', { ...env, ...opts.workerEnv, WORKER_METRICS_PORT: String(port) });
        groups.push(w);
        procs.push({ label: `worker-${i + 1}`, pid: w.pid });
        workerStarts.push(w.startedAt);
      }
    }
    const dead = () => groups.find((g) => g.child.exitCode !== null);
    const alive = async (probe: () => Promise<boolean>) => {
      const d = dead();
      if (d) throw new FatalWait(`a process of the stack exited (${d.child.exitCode}):\n${d.output()}`);
      return probe();
    };
    const workerMetricsUrls = metricsPorts.map((p) => `http://127.0.0.1:${p}/metrics`);
    const ready = await Promise.all([
      waitUntil('API /health', () => alive(async () => (await client.getStatus('/health')) === 200), timeoutMs).then(() => performance.now()),
      ...metricsPorts.map((p) =>
        waitUntil(`worker :${p}/health`, () => alive(async () => (await fetch(`http://127.0.0.1:${p}/health`)).ok), timeoutMs).then(() => performance.now()),
      ),
    ]);
    await waitUntil('API /ready', () => alive(async () => (await client.getStatus('/ready')) === 200), timeoutMs);
    const startup: Startup = {
      apiReadyMs: round(ready[0]! - apiStart, 0),
      workerReadyMs: ready.slice(1).map((t, i) => round(t - workerStarts[i]!, 0)),
      systemReadyMs: round(performance.now() - t0, 0),
      rssAtReadyMb: Object.fromEntries(procs.map((p) => [p.label, round((sampleProc(p.pid)?.rssKb ?? 0) / 1024, 0)])),
    };
    const apiPort = Number(env.PORT);
    return {
      layout, apiPort, client, workerMetricsUrls, apiMetricsUrl: `http://127.0.0.1:${apiPort}/metrics`, procs,
      prefix: env.REDIS_PREFIX!, startup, env: { ...env, ...opts.workerEnv }, stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The launcher's API and worker children, told apart by their command lines. */
async function findChildren(launcher: Spawned, workers: number, timeoutMs: number): Promise<[number, number[]]> {
  let api = 0;
  let found: number[] = [];
  await waitUntil(`the launcher to start the API and ${workers} workers`, async () => {
    if (launcher.child.exitCode !== null) throw new FatalWait(`launcher exited ${launcher.child.exitCode}:\n${launcher.output()}`);
    found = [];
    for (const pid of childPids(launcher.pid)) {
      const cmd = cmdline(pid);
      if (/api[/\\]main\.[jt]s/.test(cmd)) api = pid;
      if (/worker[/\\]main\.[jt]s/.test(cmd)) found.push(pid);
    }
    return api > 0 && found.length === workers;
  }, timeoutMs, 10);
  return [api, found.sort((a, b) => a - b)];
}
