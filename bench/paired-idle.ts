import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPhotos, multipartBody } from './photos.js';
import { Workload } from './load.js';
import { installCleanup, killAllGroups } from './procs.js';
import { startRedis } from './redis-stats.js';
import { median, round, sleep } from './stats.js';
import type { startStack as StartStack } from './stack.js';
import { arg } from './args.js';

/**
 * Idle latency of two builds of the service, paired: `node --import tsx bench/paired-idle.ts --a <repo>
 * --b <repo> [--pairs 150] [--env-a JSON] [--env-b JSON]`. Both stacks (`npm start` layout, one bench Redis,
 * own prefixes) run at once and one-at-a-time `Prefer: wait` jobs alternate between them, each pair sending the
 * same photo, the first side alternating: on a shared machine both sides meet the same moments, so the median
 * of the pairs' differences says more than two runs minutes apart (±5 ms there). Run it with `--a` and `--b` the
 * same tree first: that A/A difference is the method's own bias. Each tree needs its node_modules. With the
 * result cache on (`--env-a '{"RESULT_CACHE_SECONDS":"3600"}'`), keep `--pairs` below the photo count − 10.
 */

/** The tree's own stack starter (bench/, or client/bench/ in trees from before the bench moved). */
async function stackOf(tree: string): Promise<typeof StartStack> {
  const file = ['bench/stack.ts', 'client/bench/stack.ts'].map((f) => path.resolve(tree, f)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${tree}: no bench/stack.ts`);
  const mod = (await import(pathToFileURL(file).href)) as { startStack: typeof StartStack };
  return mod.startStack;
}

const a = arg('--a');
const b = arg('--b');
if (!a || !b) {
  process.stderr.write('usage: bench/paired-idle.ts --a <repo dir> --b <repo dir> [--pairs N] [--env-a JSON] [--env-b JSON]\n');
  process.exit(2);
}
const pairs = Number(arg('--pairs') ?? 150);
installCleanup();
const w = new Workload(...(await loadPhotos().then((p) => [p, p.map(multipartBody)] as const)));
const redis = await startRedis();
const sides = [
  await (await stackOf(a))('standalone', redis.url, { workerEnv: JSON.parse(arg('--env-a') ?? '{}') as Record<string, string> }),
  await (await stackOf(b))('standalone', redis.url, { workerEnv: JSON.parse(arg('--env-b') ?? '{}') as Record<string, string> }),
];
try {
  // Warm-up with the last photos: the pairs start from the first, so none is a result-cache hit at submit.
  for (let i = 1; i <= 10; i++) for (const s of sides) await s.client.classify(w.bodies[w.bodies.length - i]!, 'wait');
  const lat: [number[], number[]] = [[], []];
  for (let i = 0; i < pairs; i++) {
    const body = w.bodies[w.next()]!;
    for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const o = await sides[side]!.client.classify(body, 'wait');
      if (!o.ok) throw new Error(`side ${side === 0 ? 'a' : 'b'}: ${o.error ?? o.job?.error?.message}`);
      lat[side]!.push(o.latencyMs);
      await sleep(15);
    }
  }
  const diff = lat[1].map((v, i) => v - lat[0][i]!);
  process.stdout.write(`${JSON.stringify({
    pairs,
    a: { tree: path.resolve(a), p50Ms: round(median(lat[0]), 1) },
    b: { tree: path.resolve(b), p50Ms: round(median(lat[1]), 1) },
    medianDiffMs: round(median(diff), 2),
    bFasterIn: diff.filter((d) => d < 0).length,
  })}\n`);
} finally {
  await Promise.all(sides.map((s) => s.stop()));
  await redis.stop();
  killAllGroups();
}
process.exit(0);
