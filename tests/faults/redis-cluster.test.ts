/**
 * Redis Cluster: three real cluster-enabled redis-server masters. The pipeline runs on them end to end with a
 * hash-tagged prefix (single jobs, `Prefer: wait` over pub/sub, a batch whose append script writes many keys at
 * once, a cancel), and every key lands on the one node that owns the tag's slot. On an untagged prefix, or
 * with a cluster node given as one server, the processes refuse to start and say why.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { createRedis } from '../../shared/redis.js';
import { FaultStack } from '../helpers/processes/processes.js';
import { RedisProbe, colourImages, submitColours, wrongResult } from '../helpers/jobs/jobs.js';
import { redisCli } from '../helpers/redis/redis-cli.js';
import { ClusterTopology } from '../helpers/redis/redis-topology.js';
import { exitOf, trackGroup } from '../helpers/processes/cleanup.js';
import { getBatch, openBatch, postImages, waitForBatch } from '../helpers/jobs/batch-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs an entry point to its end (it must refuse to start); returns its exit code and output. */
async function runToExit(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const { code } = await exitOf(child);
  clearTimeout(timer);
  return { code, output };
}

describe('Redis Cluster (three real masters)', () => {
  it('runs the pipeline on a hash-tagged prefix, every key in one slot; refuses an untagged prefix and a misread cluster', async () => {
    const made: { cluster?: ClusterTopology; stack?: FaultStack; probe?: RedisProbe } = {};
    onTestFailed(() => console.error(made.stack?.log.tail(10_000) ?? ''));
    onTestFinished(async () => {
      made.probe?.close();
      await made.stack?.stop();
      await made.cluster?.stop();
    });
    const cluster = (made.cluster = await ClusterTopology.start());
    const stack = (made.stack = await FaultStack.create({ REDIS_CLUSTER_NODES: cluster.seeds }));
    const prefix = `{${stack.prefix}}`;
    const env = { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PREFIX: prefix };
    const probe = (made.probe = new RedisProbe(createRedis(loadConfig(env).redis.spec!, 'worker'), prefix));

    // (c) first: an untagged prefix never reaches Redis; a cluster node given as REDIS_URL is recognised.
    const untagged = await runToExit('api/main.ts', stack.envFor({ PORT: '0', REDIS_PREFIX: stack.prefix }));
    expect(untagged.code).toBe(1);
    expect(untagged.output).toContain('hash tag');
    expect(untagged.output).toContain(`{${stack.prefix}}`);
    const misread = stack.envFor({ WORKER_METRICS_PORT: '0' });
    delete misread.REDIS_CLUSTER_NODES;
    const asOneServer = await runToExit('worker/main.ts', { ...misread, REDIS_URL: `redis://127.0.0.1:${cluster.nodes[0]!.port}` });
    expect(asOneServer.code).toBe(1);
    expect(asOneServer.output).toContain('set REDIS_CLUSTER_NODES');

    // (b) the pipeline, API and worker as separate processes on the cluster.
    const images = await colourImages();
    const api = await stack.startApi({ REDIS_PREFIX: prefix });
    await stack.startWorker({ REDIS_PREFIX: prefix, BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20' });
    const singles = await submitColours(api.url, images, 16, 4);
    const { statuses } = await probe.waitTerminal(singles.map((j) => j.id), 40_000);
    expect(statuses).toEqual(singles.map(() => 'succeeded'));
    const records = await probe.records(singles.map((j) => j.id));
    expect(singles.map((j, i) => wrongResult(records[i]!, j.colour)).filter((w) => w !== null)).toEqual([]);

    // Prefer: wait answers from the job-events channel, published inside a Lua script on the slot's node.
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(images.get('green')!)]), 'green.jpg');
    const waited = await fetch(`${api.url}/v1/jobs`, { method: 'POST', body: form, headers: { prefer: 'wait=20' } });
    const waitedBody = (await waited.json()) as { status: string; result: { predictions: { label: string }[] } };
    expect(waitedBody.status).toBe('succeeded');
    expect(waitedBody.result.predictions[0]!.label).toBe('green');

    // A batch: the append script writes the batch, its items list and every job hash in one call.
    const batch = await openBatch(api.url);
    const colours = ['red', 'blue', 'white', 'black', 'cyan', 'yellow'];
    const appended = await postImages(api.url, `/v1/batches/${batch.id}/images`, colours.map((c) => ({ data: images.get(c)!, name: `${c}.jpg` })));
    expect(appended.status).toBe(200);
    const sealed = await fetch(`${api.url}/v1/batches/${batch.id}/seal`, { method: 'POST' });
    expect(sealed.status).toBeLessThan(300);
    const done = await waitForBatch(api.url, batch.id, 40_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ total: colours.length, succeeded: colours.length });

    // A canceled batch: the cancel scripts move the batch counts in the same call as the job status.
    const second = await openBatch(api.url);
    await postImages(api.url, `/v1/batches/${second.id}/images`, [{ data: images.get('red')!, name: 'red.jpg' }]);
    expect((await fetch(`${api.url}/v1/batches/${second.id}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
    const canceled = await waitForBatch(api.url, second.id, 20_000);
    expect(canceled.status).toBe('canceled');
    expect((await getBatch(api.url, second.id)).completed_at).not.toBeNull();

    // One hash tag, one slot, one node: the other two masters hold nothing of this deployment.
    const slot = Number(await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', `${prefix}:job:x`));
    const perNode = await cluster.keysPerNode();
    const inSlot = await Promise.all(cluster.nodes.map(async (n) => Number(await redisCli(n.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)))));
    expect(perNode).toEqual(inSlot);
    expect(perNode.filter((n) => n > 0).length).toBe(1);
    expect(Math.max(...inSlot)).toBeGreaterThan(singles.length);
  }, 120_000);
});
