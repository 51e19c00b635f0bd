import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPhotos, multipartBody } from './photos.js';
import { Workload, closedLoop, idleLatency } from './load.js';
import { installCleanup, killAllGroups } from './procs.js';
import { perJob, redisDelta, redisSnapshot, startRedis, type BenchRedis } from './redis-stats.js';
import { traceRedis } from './redis-trace.js';
import { round } from './stats.js';
import type { RunningStack, startStack as StartStack } from './stack.js';
import { arg } from './args.js';

/**
 * Redis commands per job of builds of the service, in interleaved rounds: `node --import tsx
 * bench/redis-per-job.ts --tree a=<repo> --tree b=<repo> … [--rounds 3] [--idle 40] [--closed 320] [--backlog 480]
 * [--trace 20]`. Each side is an `npm start` stack (API + 2 workers) on a redis-server of its own, so `INFO
 * commandstats` counts only that side; the idle phase sends one `Prefer: wait` job at a time, the closed phase 16
 * clients (fewer than the workers' 2 × 16 slots: the queue is nearly always drained), the backlog phase 64 (more:
 * jobs always wait), whose jobs per second are reported too. A last idle run per side goes under MONITOR, split by
 * command and by script. Background traffic (BZPOPMIN timeouts, stalled checks, heartbeats) lands in every side's
 * counts alike.
 */

async function stackOf(tree: string): Promise<typeof StartStack> {
  const file = path.resolve(tree, 'bench/stack.ts');
  if (!fs.existsSync(file)) throw new Error(`${tree}: no bench/stack.ts`);
  return ((await import(pathToFileURL(file).href)) as { startStack: typeof StartStack }).startStack;
}

const trees = process.argv.flatMap((v, i) => (process.argv[i - 1] === '--tree' ? [v.split('=') as [string, string]] : []));
if (trees.length === 0) {
  process.stderr.write('usage: bench/redis-per-job.ts --tree name=<repo dir> … [--rounds N] [--idle N] [--closed N] [--backlog N] [--trace N]\n');
  process.exit(2);
}
const rounds = Number(arg('--rounds') ?? 3);
const idleJobs = Number(arg('--idle') ?? 40);
const closedJobs = Number(arg('--closed') ?? 320);
const backlogJobs = Number(arg('--backlog') ?? 480);
const traceJobs = Number(arg('--trace') ?? 20);
installCleanup();
const photos = await loadPhotos();
const w = new Workload(photos, photos.map(multipartBody));

interface Side {
  name: string;
  tree: string;
  redis: BenchRedis;
  stack: RunningStack;
  idle: number[];
  closed: number[];
  backlog: number[];
  backlogJobsPerS: number[];
  byCommand: Record<string, Record<string, number>>;
}
const sides: Side[] = [];
for (const [name, tree] of trees) {
  const redis = await startRedis();
  const stack = await (await stackOf(tree))('standalone', redis.url, {});
  sides.push({ name, tree: path.resolve(tree), redis, stack, idle: [], closed: [], backlog: [], backlogJobsPerS: [], byCommand: {} });
}

async function counted(s: Side, run: () => Promise<{ samples: { ok: boolean }[]; elapsedMs: number }>) {
  const before = await redisSnapshot(s.redis.client);
  const r = await run();
  const after = await redisSnapshot(s.redis.client);
  const ok = r.samples.filter((x) => x.ok).length;
  if (ok !== r.samples.length) throw new Error(`side ${s.name}: ${r.samples.length - ok} jobs failed`);
  const d = redisDelta(before, after);
  return { perJob: d.commands / ok, byCommand: perJob(d.byCommand, ok), jobsPerS: ok / (r.elapsedMs / 1000) };
}

try {
  for (const s of sides) for (let i = 0; i < 8; i++) await s.stack.client.classify(w.bodies[w.next()]!, 'wait');
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const idle = await counted(s, () => idleLatency(s.stack.client, w, { jobs: idleJobs, gapMs: 30, mode: 'wait' }));
      s.idle.push(round(idle.perJob, 1));
      s.byCommand.idle = idle.byCommand;
      const closed = await counted(s, () => closedLoop(s.stack.client, w, { concurrency: 16, jobs: closedJobs, maxMs: 60_000, mode: 'wait' }));
      s.closed.push(round(closed.perJob, 1));
      s.byCommand.closedC16 = closed.byCommand;
      if (!backlogJobs) continue;
      const backlog = await counted(s, () => closedLoop(s.stack.client, w, { concurrency: 64, jobs: backlogJobs, maxMs: 90_000, mode: 'wait', waitSeconds: 60 }));
      s.backlog.push(round(backlog.perJob, 1));
      s.backlogJobsPerS.push(round(backlog.jobsPerS, 1));
      s.byCommand.backlogC64 = backlog.byCommand;
    }
  }
  const traces: Record<string, unknown> = {};
  for (const s of sides) {
    if (!traceJobs) break;
    const { trace } = await traceRedis(s.redis.url, () => idleLatency(s.stack.client, w, { jobs: traceJobs, gapMs: 30, mode: 'wait' }));
    traces[s.name] = {
      clientPerJob: round(trace.clientCommands / traceJobs, 1),
      luaPerJob: round(trace.luaCommands / traceJobs, 1),
      byConnection: Object.fromEntries(Object.entries(trace.byConnection).map(([k, v]) => [k, perJob(v, traceJobs)])),
      scripts: Object.fromEntries(Object.entries(trace.scripts).map(([k, v]) => [k, { callsPerJob: round(v.calls / traceJobs, 2), innerPerCall: round(v.inner / Math.max(1, v.calls), 1), commands: perJob(v.commands, v.calls) }])),
    };
  }
  process.stdout.write(`${JSON.stringify({
    rounds, idleJobs, closedJobs, backlogJobs,
    sides: sides.map((s) => ({
      side: s.name, tree: s.tree, idlePerJob: s.idle, closedC16PerJob: s.closed, backlogC64PerJob: s.backlog, backlogC64JobsPerS: s.backlogJobsPerS, byCommand: s.byCommand,
    })),
    traces,
  }, null, 1)}\n`);
} finally {
  for (const s of sides) {
    await s.stack.stop();
    await s.redis.stop();
  }
  killAllGroups();
}
process.exit(0);
