/**
 * R29: the Redis primary is killed under submit load and Sentinel promotes the replica. Real redis-server
 * children (a primary, a replica, three sentinels) and real API and worker processes configured only with
 * REDIS_SENTINELS: nobody restarts or reconfigures them, they must find the new primary by themselves.
 *
 * Replication is asynchronous: a write the primary acknowledged but had not yet streamed to the replica is
 * gone after the promotion. The test counts jobs acknowledged, ended and lost, and requires every lost job to
 * have been acknowledged before the kill (the loss window of docs/deployment.md), never after the promotion.
 */
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { createRedis } from '../../shared/redis.js';
import { FaultStack, getJson } from '../helpers/processes/processes.js';
import { RedisProbe, colourImages, wrongResult } from '../helpers/jobs/jobs.js';
import { SubmitLoad, byStatus } from '../helpers/jobs/load.js';
import { SentinelTopology } from '../helpers/redis/redis-topology.js';
import { until } from '../helpers/processes/cleanup.js';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

describe('Redis Sentinel failover (real primary, replica and three sentinels)', () => {
  it('R29: kill -9 the primary under submit load: API and worker follow the promoted replica; losses only in the replication window', async () => {
    const notes: string[] = [];
    const note = (l: string) => notes.push(`${new Date().toISOString()} ${l}`);
    const made: { topo?: SentinelTopology; stack?: FaultStack; probe?: RedisProbe } = {};
    onTestFailed(() => console.error([...notes, made.stack?.log.tail(10_000) ?? '', made.topo?.log.tail(3_000) ?? ''].join('\n')));
    onTestFinished(async () => {
      made.probe?.close();
      await made.stack?.stop();
      await made.topo?.stop();
    });

    const topo = (made.topo = await SentinelTopology.start());
    const stack = (made.stack = await FaultStack.create(topo.env));
    // The test reads Redis the way the service does: through the sentinels, following the failover.
    const probe = (made.probe = new RedisProbe(createRedis(loadConfig(topo.env).redis.spec!, 'worker'), stack.prefix));
    const images = await colourImages();
    const api = await stack.startApi();
    const worker = await stack.startWorker({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    const load = new SubmitLoad(api.url, images, { lanes: 4, pauseMs: 20, timeoutMs: 5_000 });
    await until('accepted jobs before the kill', () => load.accepted().length >= 40, 20_000, 50);

    const oldPrimary = topo.primary.port;
    await topo.primary.kill9();
    const killedAt = Date.now();
    note(`primary ${oldPrimary} killed; accepted so far ${load.accepted().length}`);
    await until('a sentinel to promote the replica', async () => (await topo.primaryPort()) === topo.replica.port, 30_000, 100);
    const promotedAt = Date.now();
    note(`replica ${topo.replica.port} promoted after ${promotedAt - killedAt} ms`);
    // The API takes submits again by itself; keep the load on until it has for a while.
    await until('accepted submits after the promotion', () => load.answers.filter((a) => a.start > promotedAt && a.status === 202).length >= 40, 30_000, 50);
    const answers = await load.stop();
    note(`answers by status: ${JSON.stringify(byStatus(answers))}`);

    // During the failover submits are refused (503 + Retry-After), never a 500 or a hang.
    expect(answers.filter((a) => a.status !== 202 && a.status !== 503).map((a) => ({ status: a.status, error: a.error, body: a.body }))).toEqual([]);

    const accepted = answers.filter((a) => a.status === 202).map((a) => ({ id: a.body.id as string, colour: a.colour, end: a.end }));
    const { statuses } = await probe.waitTerminal(accepted.map((j) => j.id), 45_000);
    const ended = accepted.filter((_, i) => TERMINAL.has(statuses[i]!));
    const lost = accepted.filter((_, i) => !TERMINAL.has(statuses[i]!));
    const lostStates = lost.map((j) => statuses[accepted.indexOf(j)]);
    const figure = `R29 figure: acknowledged ${accepted.length}, ended ${ended.length}, lost ${lost.length} (${JSON.stringify(byCount(lostStates))}); promotion ${promotedAt - killedAt} ms after the kill`;
    note(figure);
    console.info(figure);

    // Acknowledged before the kill is the only way to be lost: nothing acknowledged by the new primary is.
    expect(lost.filter((j) => j.end > killedAt).map((j) => j.id)).toEqual([]);
    expect(ended.length + lost.length).toBe(accepted.length);
    // Every job that ended, ended with its own answer (a lost completion is re-run once its lock runs out).
    const records = await probe.records(ended.map((j) => j.id));
    expect(ended.map((j, i) => wrongResult(records[i]!, j.colour)).filter((w) => w !== null)).toEqual([]);

    // Nobody was restarted: the same two processes, the API ready on the new primary, the worker alive there.
    expect(stack.processes.length).toBe(2);
    expect(api.alive && worker.alive).toBe(true);
    await until('the API to be ready on the new primary', async () => (await getJson(`${api.url}/ready`))?.status === 200, 15_000);
    expect(Number((await topo.replica.info('replication')).connected_slaves ?? 0)).toBe(0);
    expect((await topo.replica.info('replication')).role).toBe('master');
  }, 120_000);
});

const byCount = (xs: (string | undefined)[]) => xs.reduce<Record<string, number>>((m, x) => ((m[String(x)] = (m[String(x)] ?? 0) + 1), m), {});
