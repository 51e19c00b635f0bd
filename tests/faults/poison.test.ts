/**
 * R5: a poison image that kills the worker process inside a batch. No real decoder crash is at hand, so the
 * worker has a test-only hook: with FAULT_CRASH_ON_SHA256 set, the process SIGKILLs itself when it runs a batch
 * holding the image of that digest (worker/model-registry.ts). A supervisor restarts the worker after each
 * death, as `npm start` does.
 *
 * With MAX_STALLED_COUNT=1 the poison job crashes its worker twice (the first run, in a batch; the re-run, alone)
 * and then fails as `worker_crashed`; its batch neighbours are re-run alone and succeed; then the crashing stops.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { faultEnv } from '../helpers/processes/fault-env.js';
import { colourImages, submitImage, wrongResult, type Submitted } from '../helpers/jobs/jobs.js';
import { WorkerSupervisor } from '../helpers/processes/supervisor.js';
import { sleep, until } from '../helpers/processes/cleanup.js';

describe('poison image (real processes)', () => {
  it('R5: only the poison job fails (worker_crashed), its batch neighbours succeed, no crash loop', async () => {
    const poison = await solidImage([250, 5, 5], { width: 97, height: 65 });
    const digest = createHash('sha256').update(poison).digest('hex');
    const f = await faultEnv({ env: { FAULT_CRASH_ON_SHA256: digest, MAX_STALLED_COUNT: '1' } });
    const images = await colourImages();
    const api = await f.stack.startApi();
    // A batch forms for 1.5 s: the neighbours are preprocessed and waiting in it when the poison arrives.
    const supervisor = new WorkerSupervisor(f.stack, { BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '1500', BATCH_FLUSH_WHEN_IDLE: 'false' }, { maxRestarts: 4, delayMs: 500 });
    await supervisor.start();

    const innocents: Submitted[] = [];
    for (const colour of ['black', 'blue', 'green', 'cyan', 'magenta', 'yellow', 'white']) {
      const r = await submitImage(api.url, images.get(colour)!);
      expect(r.status).toBe(202);
      innocents.push({ id: r.body.id, colour });
    }
    const p = await submitImage(api.url, poison, 10_000, 'poison.jpg');
    expect(p.status).toBe(202);
    const poisonId = p.body.id as string;
    expect(p.body.input.sha256).toBe(digest);

    const ids = [...innocents.map((j) => j.id), poisonId];
    const { statuses, ms } = await f.probe.waitTerminal(ids, 60_000);
    f.note(`terminal after ${ms} ms: ${statuses.join(',')}; deaths ${JSON.stringify(supervisor.deaths)}`);
    const records = await f.probe.records(ids);

    // The poison job alone ended failed, as a crash of its worker.
    const poisonRecord = records.at(-1)!;
    expect(poisonRecord?.status).toBe('failed');
    expect(JSON.parse(poisonRecord!.error ?? '{}').code).toBe('worker_crashed');
    // Its neighbours all succeeded, each with its own answer, stored once.
    expect.soft(innocents.map((j, i) => [j.colour, wrongResult(records[i]!, j.colour)])).toEqual(innocents.map((j) => [j.colour, null]));
    await f.events.waitAll(ids, 3_000);
    const published = ids.map((id) => f.events.counts.get(id) ?? 0);
    // Every end was published (waiters and webhooks are told), even the ends stored just before the crash took
    // the process down: a re-run of an ended job announces it again (receivers dedupe on the event id).
    expect(published.filter((n) => n === 0), 'terminal statuses published per job (0: stored, but nobody was told)').toEqual([]);

    // It crashed its worker once, in a batch. Re-run alone in an isolated process, it crashed only that process.
    expect(supervisor.deaths.length).toBe(1);
    await sleep(3_000);
    expect(supervisor.deaths.length).toBe(1);
    const w = await until('a live worker', () => supervisor.current, 30_000);
    expect(w.alive).toBe(true);
    const after = await submitImage(api.url, images.get('red')!);
    expect(after.status).toBe(202);
    const end = await f.probe.waitTerminal([after.body.id], 15_000);
    expect(end.statuses).toEqual(['succeeded']);
    expect(supervisor.deaths.length).toBe(1);
    await supervisor.stop();
  });
});
