/**
 * R27: the API, Redis, the object store (a real Swift, S3 API) and two workers, each on a host of its own (a
 * network namespace with its own address, no shared folder), with real photos through the int8 MobileNetV2.
 * Then one worker host is cut off mid-batch (`ip link set eth0 down` inside it) and brought back 20 s later:
 * the other worker finishes every job the cut-off one held, the returning worker is fenced (its late finishes
 * refused and logged, the process unharmed), every job has one result, nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { pollJob } from '../helpers/processes/stack.js';
import { sleep, until } from '../helpers/processes/cleanup.js';
import { STALL_RECOVERY_MS, getJson, metric, parseMetrics } from '../helpers/processes/processes.js';
import { Cluster } from './cluster.js';
import { knownPhotos, type KnownPhoto } from './photos.js';
import { activeLocks, completedSoFar, fencedJobs, submitPhotos, topClass } from './r27-jobs.js';

/** How long the worker host stays cut off. */
const CUT_MS = 20_000;

describe('R27: hosts of their own (network namespaces, S3, no shared folder)', () => {
  let c: Cluster;
  let photos: KnownPhoto[];
  beforeAll(async () => {
    photos = await knownPhotos();
    c = await Cluster.start();
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('real photos flow end to end: API, store and workers on separate hosts answer their labelled classes', async () => {
    onTestFailed(() => console.error(c.logs()));
    const jobs = await submitPhotos(c.api.url, photos.slice(0, 24), 24);
    const done = await Promise.all(jobs.map((j) => pollJob(c.api.url, j.id, 60_000)));
    expect(done.map((d) => d.status)).toEqual(jobs.map(() => 'succeeded'));
    expect(done.map((d) => d.result.predictions[0].class_id)).toEqual(jobs.map((j) => j.photo.classId));
    // The images went through the store and were removed from it; no host kept a copy on its own disk.
    await until('the store to be empty', async () => (await c.swift.keys('r27/')).length === 0, 10_000);
    expect(await c.localUploads()).toEqual([]);
  }, 90_000);

  it('a worker host cut off mid-batch for 20 s: the other finishes its jobs, the returning one is fenced, one result each', async () => {
    onTestFailed(() => console.error(c.logs()));
    const [cutOff, other] = c.workers as [(typeof c.workers)[0], (typeof c.workers)[0]];
    const completedEarlier = await completedSoFar(c.probe);
    // Mid-batch: some of the photos done, both workers holding jobs, the rest waiting or still uploading.
    const submitting = submitPhotos(c.api.url, photos, 48);
    submitting.catch(() => undefined);
    const midBatch = async () =>
      (await completedSoFar(c.probe)) - completedEarlier >= 8 && new Set((await activeLocks(c.probe)).values()).size === 2;
    await until('both workers to hold jobs, 8 done', midBatch, 30_000, 20);
    const cutAt = Date.now();
    await c.lab.cut('worker1');
    // Who held what when the link went down (nothing the cut-off host does can reach Redis from now on).
    const held = await activeLocks(c.probe);
    const doneBefore = (await completedSoFar(c.probe)) - completedEarlier;
    const jobs = await submitting;
    const ids = jobs.map((j) => j.id);
    const endedAt = new Map<string, number>();
    while (Date.now() - cutAt < CUT_MS) {
      const statuses = await c.probe.statuses(ids);
      statuses.forEach((s, i) => s === 'succeeded' && !endedAt.has(ids[i]!) && endedAt.set(ids[i]!, Date.now() - cutAt));
      await sleep(100);
    }
    await c.lab.restore('worker1');
    const restoredAt = Date.now();

    // The cut-off worker's jobs are exactly those that stalled: its locks lapsed, the other worker's did not.
    const stalled = [...new Set(await c.probe.stalledEvents())];
    const owner = new Set(stalled.map((id) => held.get(id)));
    expect(owner.size).toBe(1);
    const cutOffToken = [...owner][0]!;
    const stranded = [...held].filter(([, w]) => w === cutOffToken).map(([id]) => id);
    expect(stranded.length).toBeGreaterThan(0);
    expect(stalled.sort()).toEqual([...stranded].sort());
    // All of them ended while their worker was still unreachable: the other worker ran them.
    expect(stranded.filter((id) => !endedAt.has(id))).toEqual([]);
    const recoveryMs = Math.max(...stranded.map((id) => endedAt.get(id)!));

    // Every job ends, once, with its photo's class.
    const { statuses } = await c.probe.waitTerminal(ids, 60_000);
    expect(statuses).toEqual(ids.map(() => 'succeeded'));
    const records = await c.probe.records(ids);
    expect(records.map((r) => topClass(r))).toEqual(jobs.map((j) => j.photo.classId));

    // Back on the network, the cut-off worker tries to finish what it held: every attempt is refused (BullMQ's
    // lock and the finish script), logged, and it keeps running.
    const fenced: Set<string> = await until('the returning worker to log its refused finishes', () => {
      const f = fencedJobs(cutOff.output);
      return stranded.every((id) => f.has(id)) ? f : null;
    }, 60_000, 200);
    const fencedAfterMs = Date.now() - restoredAt;
    expect(cutOff.alive).toBe(true);
    expect((await getJson(`${cutOff.url}/health`))?.status).toBe(200);
    await c.events.waitAll(ids, 5_000);
    expect(ids.map((id) => c.events.counts.get(id) ?? 0)).toEqual(ids.map(() => 1));
    expect(await c.swift.keys('r27/')).toEqual([]);
    expect(await c.localUploads()).toEqual([]);

    // And it still works: with the other worker gone, it alone runs new photos.
    const finished = async () => metric(parseMetrics((await getJson(`${cutOff.url}/metrics`))!.body as string), 'inferq_jobs_finished_total', { status: 'succeeded' }) ?? 0;
    const finishedBefore = await finished();
    other.signal('SIGTERM');
    expect(await other.waitExit(15_000)).not.toBeNull();
    const after = await submitPhotos(c.api.url, photos.slice(0, 4), 4);
    const afterDone = await Promise.all(after.map((j) => pollJob(c.api.url, j.id, 60_000)));
    expect(afterDone.map((d) => d.result?.predictions[0].class_id)).toEqual(after.map((j) => j.photo.classId));
    expect(await finished()).toBe(finishedBefore + after.length);

    console.info(
      `R27 figures: ${jobs.length} jobs, ${doneBefore} done at the cut, ${held.size} in hand (${stranded.length} on the cut-off host); ` +
        `its jobs ended ${recoveryMs} ms after the cut (stall bound ${STALL_RECOVERY_MS} ms + re-runs); ` +
        `${fenced.size} late finishes fenced, logged ${fencedAfterMs} ms after the link came back; ` +
        `${ids.length} results, 0 duplicates, 0 lost`,
    );
  }, 150_000);
});
