import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { openBatch, postImages } from '../helpers/jobs/batch-client.js';
import { BATCH_BAND, ITEMS_PER_ROUND, enqueueItems, reserveShare, toBullPriority, type InferencePayload } from '../../shared/queue/index.js';

// Fair batches read from BullMQ with no worker running: batches take turns of ITEMS_PER_ROUND items, a batch that
// arrives late joins at the queue's head (not at round 0), single jobs of 5 go first and those of 4 last, and
// queue_position says the same order. (R34, with workers, is tests/integration/fair-batches-r34.test.ts.)

let stack: Stack;
let image: Buffer;
const K = ITEMS_PER_ROUND;
/** The first batch, which the second test appends to again. */
let firstBatch: string;

beforeAll(async () => {
  stack = await startStack({}, { workers: 0 });
  image = await solidImage([30, 200, 30]);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

async function batchOf(n: number, name: string): Promise<{ id: string; items: string[] }> {
  const b = await openBatch(stack.url);
  const items: string[] = [];
  const add = await append(b.id, n, name);
  items.push(...add);
  return { id: b.id, items };
}
async function append(batchId: string, n: number, name: string): Promise<string[]> {
  const before = await itemIds(batchId);
  const imgs = Array.from({ length: n }, (_, i) => ({ data: image, name: `${name}${i}.jpg` }));
  expect((await postImages(stack.url, `/v1/batches/${batchId}/images`, imgs)).status).toBe(200);
  return (await itemIds(batchId)).slice(before.length);
}
async function itemIds(batchId: string): Promise<string[]> {
  const res = (await (await fetch(`${stack.url}/v1/batches/${batchId}/jobs?limit=1000`)).json()) as { data: { id: string }[] };
  return res.data.map((j) => j.id);
}
async function single(p?: number): Promise<string> {
  const res = await postImage(stack.url, image, p === undefined ? {} : { priority: String(p) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}
const queued = async () => (await stack.api.ctx.queue.bull.getPrioritized(0, -1)).map((j) => j.id!);
const cancel = async (ids: string[]) => {
  for (const id of ids) expect((await fetch(`${stack.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
};
const turns = (a: string[], b: string[], from: number, to: number) => {
  const out: string[] = [];
  for (let r = from; r * K < to; r++) out.push(...a.slice(r * K, Math.min((r + 1) * K, to)), ...b.slice(r * K, Math.min((r + 1) * K, to)));
  return out;
};

describe('fair batches', () => {
  it('lets two batches take turns, single jobs of 5 first and of 4 last; a late batch joins at the head', async () => {
    // A is queued whole before B: first come first served would run all of A first.
    const a = await batchOf(3 * K - 2, 'a');
    const b = await batchOf(3 * K - 2, 'b');
    firstBatch = a.id;
    const s5 = await single();
    const s4 = await single(4);
    const order = [s5, ...turns(a.items, b.items, 0, 3 * K - 2), s4];
    expect(await queued()).toEqual(order);
    const positions = await Promise.all(
      order.map(async (id) => ((await (await fetch(`${stack.url}/v1/jobs/${id}`)).json()) as { queue_position: number }).queue_position),
    );
    expect(positions).toEqual(order.map((_, i) => i));

    // Round 0 leaves the queue (as if run); C arrives now: its first items join round 1, after A's and B's
    // (first come first served within a round), not ahead of them at round 0.
    await cancel([s5, ...a.items.slice(0, K), ...b.items.slice(0, K)]);
    const c = await batchOf(K + 2, 'c');
    // A appends more: it continues from its own place (round 2), after C's round-2 items that came first.
    const a2 = await append(a.id, 3, 'a-more');
    const expected = [
      ...a.items.slice(K, 2 * K), ...b.items.slice(K, 2 * K), ...c.items.slice(0, K),
      // Round 2: A's and B's last 6, C's last 2, A's places 3K-2 and 3K-1; A's place 3K is round 3.
      ...a.items.slice(2 * K), ...b.items.slice(2 * K), ...c.items.slice(K), ...a2,
      s4,
    ];
    expect(await queued()).toEqual(expected);
    const prio = new Map((await stack.api.ctx.queue.bull.getPrioritized(0, -1)).map((j) => [j.id!, j.priority]));
    expect(prio.get(c.items[0]!)).toBe(BATCH_BAND.first + 1);
    expect(prio.get(a2[0]!)).toBe(BATCH_BAND.first + 2);
    expect(prio.get(a2[1]!)).toBe(BATCH_BAND.first + 2);
    expect(prio.get(a2[2]!)).toBe(BATCH_BAND.first + 3);
    expect(prio.get(s4)).toBe(toBullPriority(4));
  });

  it('starts the rounds again at 0 once no batch item waits, forgetting every batch place', async () => {
    await cancel(await queued());
    expect(await queued()).toEqual([]);
    // A was 25 places deep: with nothing waiting, its next items start at round 0 like a new batch's.
    const again = await append(firstBatch, 2, 'a-again');
    const d = await batchOf(2, 'd');
    const prio = new Map((await stack.api.ctx.queue.bull.getPrioritized(0, -1)).map((j) => [j.id!, j.priority]));
    expect([...again, ...d.items].map((id) => prio.get(id))).toEqual([0, 0, 0, 0].map(() => BATCH_BAND.first));
    expect(await queued()).toEqual([...again, ...d.items]);
  });

  it('never leaves BullMQ range: a batch 20 million places deep saturates at the band end', async () => {
    const queue = stack.api.ctx.queue;
    const batchId = 'b_saturated';
    await reserveShare(queue.redis, queue.keys, batchId, 20_000_000);
    const payload: InferencePayload = { jobId: 'j_saturated', model: 'tiny-colour', blobKey: 'none', topK: 1, batchId };
    await enqueueItems(queue, [payload]);
    const job = await queue.bull.getJob('j_saturated');
    expect(job?.priority).toBe(BATCH_BAND.last);
    await job?.remove();
  });
});
