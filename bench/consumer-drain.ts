import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { LeanWorker } from '../shared/queue/lean-worker.js';
import { perJob, redisDelta, redisSnapshot, startRedis } from './redis-stats.js';
import { median, round, sleep } from './stats.js';
import { numArg } from './args.js';

/**
 * The consumer loop alone, BullMQ's Worker against LeanWorker (shared/queue/lean-worker.ts), no model and no
 * service: `node --import tsx bench/consumer-drain.ts [--jobs 2000] [--rounds 5] [--work-ms 4]`. Each round,
 * for each kind in turn (the order alternating): a backlog of prioritized jobs is added, then two workers ×
 * concurrency 16 on their own connections drain it, each job an async wait of `--work-ms`; reported: drain time,
 * jobs per second and Redis commands per job (`INFO commandstats` on a redis-server of the bench's own). A
 * second phase sends jobs one at a time (an idle queue) and counts commands per job.
 */
const jobs = numArg('--jobs', 2000);
const rounds = numArg('--rounds', 5);
const workMs = numArg('--work-ms', 4);
const idleJobs = numArg('--idle', 50);

const redis = await startRedis();
const kinds: Record<'bullmq' | 'lean', typeof Worker> = { bullmq: Worker, lean: LeanWorker as typeof Worker };
type Kind = 'bullmq' | 'lean';
const results: Record<Kind, { drainMs: number[]; jobsPerS: number[]; perJobBacklog: number[]; perJobIdle: number[]; byCommand?: Record<string, number>; byCommandBacklog?: Record<string, number> }> = {
  bullmq: { drainMs: [], jobsPerS: [], perJobBacklog: [], perJobIdle: [] },
  lean: { drainMs: [], jobsPerS: [], perJobBacklog: [], perJobIdle: [] },
};

async function round1(kind: Kind, r: number): Promise<void> {
  const prefix = `drain-${kind}-${r}`;
  const conn = () => new Redis(redis.url, { maxRetriesPerRequest: null });
  const qconn = conn();
  const queue = new Queue('q', { connection: qconn, prefix, streams: { events: { maxLen: 1000 } }, defaultJobOptions: { removeOnComplete: true } });
  let done = 0;
  const processor = async () => {
    await sleep(workMs);
    done++;
  };
  const conns = [conn(), conn()];
  const workers = conns.map((c) => new kinds[kind]('q', processor, { connection: c, prefix, concurrency: 16, autorun: false }));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  for (let i = 0; i < jobs; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, jobs - i) }, (_, k) => ({ name: 'j', data: { i: i + k }, opts: { priority: 11 } })));
  }
  const before = await redisSnapshot(redis.client);
  const t0 = performance.now();
  for (const w of workers) void w.run();
  while (done < jobs) await sleep(5);
  const drainMs = performance.now() - t0;
  const mid = await redisSnapshot(redis.client);
  // The idle phase: one job at a time, each waited for, with a pause after.
  for (let i = 0; i < idleJobs; i++) {
    const target = done + 1;
    await queue.add('j', { i }, { priority: 11 });
    while (done < target) await sleep(1);
    await sleep(20);
  }
  const after = await redisSnapshot(redis.client);
  const backlog = redisDelta(before, mid);
  const idle = redisDelta(mid, after);
  const res = results[kind];
  res.drainMs.push(round(drainMs, 0));
  res.jobsPerS.push(round(jobs / (drainMs / 1000), 0));
  res.perJobBacklog.push(round(backlog.commands / jobs, 1));
  res.perJobIdle.push(round(idle.commands / idleJobs, 1));
  res.byCommand = perJob(idle.byCommand, idleJobs);
  res.byCommandBacklog = perJob(backlog.byCommand, jobs);
  await Promise.all(workers.map((w) => w.close()));
  await queue.obliterate({ force: true });
  await queue.close();
  for (const c of [...conns, qconn]) c.disconnect();
}

try {
  for (let r = 0; r < rounds; r++) {
    for (const kind of (r % 2 === 0 ? ['bullmq', 'lean'] : ['lean', 'bullmq']) as Kind[]) await round1(kind, r);
  }
  const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, {
    ...v,
    medianJobsPerS: median(v.jobsPerS),
    medianPerJobBacklog: median(v.perJobBacklog),
    medianPerJobIdle: median(v.perJobIdle),
  }]));
  process.stdout.write(`${JSON.stringify({ jobs, rounds, workMs, idleJobs, ...summary }, null, 1)}\n`);
} finally {
  await redis.stop();
}
process.exit(0);
