import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.js';
import { Supervisor } from '../../api/standalone/supervisor.js';
import { TEST_REDIS_URL, cleanPrefix } from '../helpers/redis/test-redis.js';
import { FaultStack, getJson } from '../helpers/processes/processes.js';
import { OutputLog, killGroup, trackGroup, until, waitExit } from '../helpers/processes/cleanup.js';

/**
 * A taken port (a second `npm start`, anything else on 9464) must not become a crash loop: the launcher moves
 * its workers to free metrics ports, a worker on its own fails once naming the port and the variable, and a
 * child that keeps failing the same way at start is given up on with the reason. Real processes throughout;
 * the ports are taken by net servers this test holds.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let stack: FaultStack;
const occupied: net.Server[] = [];
const started: ChildProcess[] = [];

beforeAll(async () => {
  stack = await FaultStack.create(TEST_REDIS_URL);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => killGroup(c)));
  await Promise.all(occupied.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(async () => {
  await stack.stop();
  await cleanPrefix(stack.prefix);
});

/** Listens on `port` (0: any) on 127.0.0.1 until the test ends; resolves with the port, or null if taken. */
function occupy(port = 0): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      occupied.push(server);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** A port P that this test holds while P+1 is free (the second worker's configured port). */
async function occupiedWithFreeNext(): Promise<number> {
  for (;;) {
    const p = (await occupy())!;
    const next = net.createServer();
    const free = await new Promise<boolean>((r) => {
      next.once('error', () => r(false));
      next.listen({ port: p + 1, host: '127.0.0.1', exclusive: true }, () => next.close(() => r(true)));
    });
    if (free) return p;
  }
}

function run(entry: string, env: Record<string, string>): { child: ChildProcess; log: OutputLog } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: stack.envFor(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(child);
  started.push(child);
  const log = new OutputLog();
  log.attach(child, '');
  return { child, log };
}

const lines = (log: OutputLog) => log.value.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

describe('a taken metrics port', () => {
  it('a worker on its own fails once, naming the port and WORKER_METRICS_PORT', async () => {
    const port = (await occupy())!;
    const { child, log } = run('worker/main.ts', { WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' });
    const exit = await waitExit(child, 30_000);
    expect(exit, log.value).toEqual({ code: 1, signal: null });
    const fatal = lines(log).filter((l) => l.level === 60);
    expect(fatal, log.value).toHaveLength(1);
    expect(fatal[0]!.msg).toContain(`WORKER_METRICS_PORT=${port}`);
    expect(fatal[0]!.msg).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    // It failed before loading a model or joining the pool.
    expect(lines(log).some((l) => l.msg === 'worker started')).toBe(false);
  });

  it('the supervisor backs off, then gives up on a worker that fails the same way each start', async () => {
    const port = (await occupy())!;
    const reasons: string[] = [];
    let starts = 0;
    const supervisor = new Supervisor({
      logger: createLogger('silent'),
      execArgv: ['--import', 'tsx'],
      maxStartFailures: 3,
      baseDelayMs: 50,
      onFatal: (reason) => reasons.push(reason),
    });
    const env = { ...stack.envFor({ WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'fatal' }) };
    const spawnCounted = supervisor.start.bind(supervisor);
    supervisor.start = (spec, state) => {
      starts++;
      spawnCounted(spec, state);
    };
    supervisor.start({ name: 'worker-1', file: path.join(ROOT, 'worker/main.ts'), env, restart: true });
    await until('the supervisor to give up', () => reasons.length > 0, 60_000);
    await supervisor.stopAll();
    expect(starts).toBe(3);
    expect(reasons).toEqual([`worker-1 failed to start 3 times in a row, each time: ${reasons[0]!.split('each time: ')[1]}`]);
    expect(reasons[0]).toContain(`WORKER_METRICS_PORT=${port}: port ${port} on 127.0.0.1 is already in use`);
  });

  it('npm start moves a worker off a taken port, says so in its log and on /ready, and serves', async () => {
    const taken = await occupiedWithFreeNext();
    const apiPort = (await occupy())!;
    await new Promise((r) => occupied.pop()!.close(r)); // free it again for the API
    const { child, log } = run('api/standalone/main.ts', {
      PORT: String(apiPort),
      WORKER_METRICS_PORT: String(taken),
      STANDALONE_WORKERS: '2',
      LOG_LEVEL: 'info',
    });
    const ready = await until('/ready', async () => {
      const r = await getJson(`http://127.0.0.1:${apiPort}/ready`);
      return r?.status === 200 && r.body.workers === 2 ? r.body : null;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${log.tail()}`);
    });
    const moved = lines(log).find((l) => l.role === 'launcher' && l.child === 'worker-1' && l.configured_port === taken);
    expect(moved, log.value).toBeDefined();
    expect(moved!.metrics_port).not.toBe(taken);
    expect(moved!.msg).toContain(`metrics port ${taken} is taken, using ${moved!.metrics_port}`);
    expect(lines(log).some((l) => l.child === 'worker-2' && l.configured_port !== undefined)).toBe(false);
    expect(ready.worker_metrics_ports).toEqual([moved!.metrics_port, taken + 1].sort((a, b) => a - b));
    for (const p of ready.worker_metrics_ports as number[]) {
      expect((await getJson(`http://127.0.0.1:${p}/health`))?.status).toBe(200);
    }
    // No worker died on the way.
    expect(lines(log).filter((l) => /failed to start|child process exited/.test(l.msg))).toEqual([]);
    child.kill('SIGTERM');
    expect(await waitExit(child, 30_000)).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('npm start exits non-zero with the reason when the API port is taken', async () => {
    const apiPort = (await occupy())!;
    const { child, log } = run('api/standalone/main.ts', { PORT: String(apiPort), WORKER_METRICS_PORT: '0', STANDALONE_WORKERS: '1', LOG_LEVEL: 'info' });
    const exit = await waitExit(child, 60_000);
    expect(exit, log.value).toEqual({ code: 1, signal: null });
    const stop = lines(log).find((l) => l.role === 'launcher' && l.level === 60);
    expect(stop?.reason, log.value).toContain(`api failed to start: PORT=${apiPort}: port ${apiPort} on 127.0.0.1 is already in use`);
  }, 90_000);
});
