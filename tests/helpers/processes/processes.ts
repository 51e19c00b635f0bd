import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../shared/free-port.js';
import { writeTinyModelFixture } from '../model/tiny-model.js';
import { inNetns } from '../network/netns.js';
import { OutputLog, exitOf, killGroup, signalGroup, sleep, trackDir, trackGroup, untrackDir, waitExit } from './cleanup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The fast profile of RELIABILITY.md: a dead worker's jobs are taken for stalled after 4 s, checked every 1 s,
 * a killed worker drops out of readiness after 3 s, and a drain gets 5 s.
 */
export const FAST_PROFILE: Readonly<Record<string, string>> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  LOCK_DURATION_MS: '4000',
  STALLED_INTERVAL_MS: '1000',
  MAX_STALLED_COUNT: '1',
  WORKER_HEARTBEAT_TTL_SECONDS: '3',
  WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
  // Two cores are shared by the API, the workers, Redis and the test itself.
  INFERENCE_THREADS: '1',
  MODELS: 'tiny-colour',
  DEFAULT_MODEL: 'tiny-colour',
};

/** Upper bound for a dead worker's jobs to be back in wait: the lock runs out, then two stalled checks. */
export const STALL_RECOVERY_MS = 4000 + 2 * 1000;

/** Where a process runs when it is a host of its own (R27): a network namespace and its address there. */
export interface Placement {
  netns: string;
  address: string;
}

/** A spawned API or worker process (its own process group) with its output captured. */
export class ServiceProcess {
  readonly startedAt = Date.now();
  /** This process's own stdout and stderr (the stack's log interleaves all of them). */
  readonly log = new OutputLog(64 * 1024);

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    /** HTTP port: the API's PORT or the worker's WORKER_METRICS_PORT. */
    readonly port: number,
    /** The address it listens on (its namespace's, for a host of its own). */
    readonly host = '127.0.0.1',
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get output(): string {
    return this.log.value;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(sig: NodeJS.Signals): boolean {
    return signalGroup(this.child, sig);
  }

  exited() {
    return exitOf(this.child);
  }

  waitExit(timeoutMs: number) {
    return waitExit(this.child, timeoutMs);
  }

  kill9(): Promise<void> {
    return killGroup(this.child);
  }
}

/** GET with a short timeout; null when nothing answered. */
export async function getJson(url: string, timeoutMs = 2_000): Promise<{ status: number; body: any } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // metrics are text
    }
    return { status: res.status, body };
  } catch {
    return null;
  }
}

/**
 * API and worker processes for one test, as `npm run start:api` / `start:worker` run them (node --import tsx),
 * sharing one Redis (under a fresh prefix), one upload dir and the tiny-colour model fixture.
 */
export class FaultStack {
  readonly log = new OutputLog();
  readonly prefix = `fault-${randomBytes(4).toString('hex')}`;
  private readonly procs: ServiceProcess[] = [];
  private workerCount = 0;

  private constructor(
    /** A redis-server URL, or the REDIS_* settings of a Sentinel or Cluster topology. */
    readonly redis: string | Record<string, string>,
    readonly tmp: string,
    readonly manifestPath: string,
    private readonly env: Record<string, string>,
  ) {}

  static async create(redis: string | Record<string, string>, env: Record<string, string> = {}): Promise<FaultStack> {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-fault-'));
    trackDir(tmp);
    const { manifestPath } = await writeTinyModelFixture(path.join(tmp, 'models'));
    await fs.mkdir(path.join(tmp, 'uploads'), { recursive: true });
    return new FaultStack(redis, tmp, manifestPath, env);
  }

  get uploadDir(): string {
    return path.join(this.tmp, 'uploads');
  }

  get processes(): readonly ServiceProcess[] {
    return this.procs;
  }

  /** The environment every process gets: a clean one (nothing inherited that config reads) plus the profile. */
  envFor(extra: Record<string, string>): Record<string, string> {
    const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
    const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
    return {
      ...base,
      ...FAST_PROFILE,
      ...(typeof this.redis === 'string' ? { REDIS_URL: this.redis } : this.redis),
      REDIS_PREFIX: this.prefix,
      MODEL_MANIFEST: this.manifestPath,
      MODELS_DIR: path.dirname(this.manifestPath),
      UPLOAD_DIR: this.uploadDir,
      DATA_DIR: path.join(this.tmp, 'data'),
      // Fault tests resend the same images to load the workers: the result cache would answer instead.
      RESULT_CACHE_SECONDS: '0',
      ...this.env,
      ...extra,
    };
  }

  private spawn(name: string, entry: string, env: Record<string, string>, port: number, place?: Placement): ServiceProcess {
    const [command, args] = inNetns(place?.netns, process.execPath, ['--import', 'tsx', entry]);
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackGroup(child);
    this.log.attach(child, name);
    child.once('exit', (code, signal) => this.log.append(`process exited code=${code} signal=${signal}\n`, name));
    const p = new ServiceProcess(name, child, port, place?.address);
    p.log.attach(child, '');
    this.procs.push(p);
    return p;
  }

  private async ready(p: ServiceProcess, pathname: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!p.alive) throw new Error(`${p.name} exited before it was ready:\n${this.log.tail(3_000)}`);
      const r = await getJson(`${p.url}${pathname}`, 1_000);
      if (r?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`${p.name} not ready within ${timeoutMs} ms:\n${this.log.tail(3_000)}`);
      await sleep(100);
    }
  }

  /**
   * Starts `api/main.ts` on a free port and waits until it answers `/health` (it connects to Redis first).
   * With `place`, it runs inside that namespace and listens on its address.
   */
  async startApi(env: Record<string, string> = {}, timeoutMs = 30_000, place?: Placement): Promise<ServiceProcess> {
    const port = await freePort();
    const host: Record<string, string> = place ? { HOST: place.address } : {};
    const p = this.spawn('api', 'api/main.ts', this.envFor({ PORT: String(port), ...host, ...env }), port, place);
    await this.ready(p, '/health', timeoutMs);
    return p;
  }

  /** Starts `worker/main.ts` and waits until its `/health` answers 200 (503 while it loads its models). */
  async startWorker(env: Record<string, string> = {}, timeoutMs = 30_000, place?: Placement): Promise<ServiceProcess> {
    const port = await freePort();
    const name = `worker${++this.workerCount}`;
    const host: Record<string, string> = place ? { HOST: place.address } : {};
    const p = this.spawn(name, 'worker/main.ts', this.envFor({ WORKER_METRICS_PORT: String(port), ...host, ...env }), port, place);
    await this.ready(p, '/health', timeoutMs);
    return p;
  }

  /** Kills every process group this stack started and removes its temp dir. */
  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill9()));
    await fs.rm(this.tmp, { recursive: true, force: true });
    untrackDir(this.tmp);
  }
}

/** Parses Prometheus text into `name{labels}` → value (labels as written). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The sum of the samples of `name` whose labels include every `labels` pair (in any order); undefined if none. */
export function metric(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const [k, v] of metrics) {
    if (k !== name && !k.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([l, val]) => k.includes(`${l}="${val}"`))) sum = (sum ?? 0) + v;
  }
  return sum;
}
