import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage } from '../helpers/processes/stack.js';
import { TEST_REDIS_URL, cleanPrefix } from '../helpers/redis/test-redis.js';
import { FaultStack, type ServiceProcess } from '../helpers/processes/processes.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

/**
 * Access logs of real API and worker processes: one info line per request and per finished job, both carrying
 * the client's request id, probes at debug, no secret, filename or duplicate key in any line, and nothing of
 * the sort at LOG_LEVEL=warn.
 */
const KEY = 'sk-live-the-secret-itself-0123456789';
const FILENAME = 'holiday-photo-of-my-passport.jpg';
const keyEnv = { API_KEYS: `tester:${createHash('sha256').update(KEY).digest('hex')}` };
const auth = { Authorization: `Bearer ${KEY}` };

let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.stop();
  if (stack) await cleanPrefix(stack.prefix);
  stack = undefined;
});

/** Every JSON line of a process; YAML (a superset of JSON) refuses duplicate keys, which JSON.parse hides. */
function jsonLines(p: ServiceProcess): Record<string, any>[] {
  return p.output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      expect(() => parseYaml(l, { uniqueKeys: true }), `duplicate key in ${p.name} line: ${l}`).not.toThrow();
      return JSON.parse(l) as Record<string, any>;
    });
}

/** Traffic: a job with a client request id (and a filename), a broken image, probes, a 404. */
async function traffic(api: ServiceProcess, requestId: string) {
  const ok = await postImage(api.url, await solidImage([250, 5, 5]), {}, { filename: FILENAME, headers: { ...auth, 'X-Request-Id': requestId } });
  expect(ok.status).toBe(202);
  const id = ((await ok.json()) as { id: string }).id;
  const png = await solidImage([5, 5, 250], { format: 'png' });
  const bad = await postImage(api.url, Buffer.concat([png.subarray(0, Math.floor(png.length / 2)), png.subarray(-12)]), {}, { headers: auth });
  const badId = ((await bad.json()) as { id: string }).id;
  for (const path of ['/health', '/ready', '/metrics']) await fetch(`${api.url}${path}`);
  expect((await fetch(`${api.url}/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV`, { headers: auth })).status).toBe(404);
  expect((await fetch(`${api.url}/no-such-route?token=${KEY}`)).status).toBe(401);
  return { id, badId };
}

async function waitFinished(api: ServiceProcess, ids: string[]) {
  for (const id of ids) {
    await until(`job ${id} to end`, async () => {
      const r = await fetch(`${api.url}/v1/jobs/${id}`, { headers: auth });
      return ['succeeded', 'failed'].includes(((await r.json()) as { status: string }).status);
    }, 30_000);
  }
  await sleep(300); // the worker writes its line right after storing the result
}

/** An API and a worker at `level`, through the traffic above, every job ended. */
async function runTraffic(level: string, requestId: string) {
  stack = await FaultStack.create(TEST_REDIS_URL, { ...keyEnv, LOG_LEVEL: level });
  const api = await stack.startApi();
  const worker = await stack.startWorker();
  const { id, badId } = await traffic(api, requestId);
  await waitFinished(api, [id, badId]);
  return { api, worker, id, badId };
}

describe('access logs', () => {
  it('at info: one line per request and per finished job, with the request id, and no duplicate keys', async () => {
    const { api, worker, id, badId } = await runTraffic('info', 'abc-123');

    const apiLines = jsonLines(api);
    const access = apiLines.filter((l) => l.msg === 'request completed');
    const submit = access.filter((l) => l.route === '/v1/jobs');
    expect(submit).toHaveLength(2);
    expect(submit[0]).toMatchObject({ level: 30, role: 'api', method: 'POST', status: 202, request_id: 'abc-123', api_key: 'tester' });
    expect(submit[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(submit[0]!.bytes).toBeGreaterThan(0);
    expect(submit[0]!.req_bytes).toBeGreaterThan(0);
    expect(submit[1]!.request_id).not.toBe('abc-123');
    expect(access.find((l) => l.status === 404)).toMatchObject({ method: 'GET', route: '/v1/jobs/:id', api_key: 'tester', error_code: 'not_found' });
    expect(access.find((l) => l.status === 401)).toMatchObject({ method: 'GET', route: 'unmatched', error_code: 'unauthorized' });
    expect(access.find((l) => l.status === 401)!.api_key).toBeUndefined();
    expect(apiLines.filter((l) => l.msg === 'request refused')).toEqual([]);
    // Probes are debug: not at info.
    expect(access.filter((l) => ['/health', '/ready', '/metrics'].includes(l.route))).toEqual([]);
    // Each request logged once: as many access lines as request ids.
    expect(new Set(access.map((l) => l.request_id)).size).toBe(access.length);

    const workerLines = jsonLines(worker);
    const finished = workerLines.filter((l) => l.msg === 'job finished');
    expect(finished).toHaveLength(2);
    const good = finished.find((l) => l.job_id === id);
    expect(good).toMatchObject({ level: 30, role: 'worker', request_id: 'abc-123', model: 'tiny-colour', status: 'succeeded', batch_size: 1 });
    for (const k of ['queue_ms', 'preprocess_ms', 'inference_ms', 'store_ms', 'total_ms']) expect(good![k], k).toBeGreaterThanOrEqual(0);
    expect(finished.find((l) => l.job_id === badId)).toMatchObject({ status: 'failed', code: 'invalid_image', model: 'tiny-colour' });
    const batches = workerLines.filter((l) => l.msg === 'batch run');
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches[0]).toMatchObject({ level: 30, model: 'tiny-colour', batch_size: 1 });
    expect(batches[0]!.reason).toMatch(/^(full|timeout|idle|drain)$/);

    for (const p of [api, worker]) {
      expect(p.output).not.toContain(KEY);
      expect(p.output).not.toContain(FILENAME);
    }
  }, 90_000);

  it('at LOG_LEVEL=warn: no access line and no job or batch line', async () => {
    const { api, worker } = await runTraffic('warn', 'quiet-1');
    const all = [...jsonLines(api), ...jsonLines(worker)];
    expect(all.filter((l) => l.level < 40)).toEqual([]);
    expect(api.output + worker.output).not.toContain('quiet-1');
  }, 90_000);
});
