import path from 'node:path';
import { loadManifest, findModel } from '../shared/model-manifest.js';
import { ensureModelFiles } from '../models/fetch-models.js';
import { ceilingLayouts, runCeiling } from './ceiling.js';
import { Workload } from './load.js';
import { describeMachine } from './machine.js';
import { parseArgs } from './options.js';
import { EVAL_DIR, SHARED_DIR, loadPhotos, multipartBody } from './photos.js';
import { installCleanup, killAllGroups } from './procs.js';
import { startRedis } from './redis-stats.js';
import { writeReport, type BenchReport, type CeilingResult, type Ratio } from './report.js';
import { round } from './stats.js';
import { atCapacity, runLayout, type LayoutResult } from './system.js';
import { checkTargets } from './targets.js';

/**
 * `npm run bench [-- --quick] [--out dir] [--only ceiling|system]`: the bare pipeline's ceiling, then the real
 * service under load, into bench/results/<timestamp>.{json,md}. Everything it starts is killed when it ends.
 */
const opts = parseArgs(process.argv.slice(2));
const log = (m: string) => process.stderr.write(`${m}\n`);
installCleanup();
const deadline = setTimeout(() => {
  log(`bench: over its ${opts.deadlineMs / 1000} s limit, stopping everything`);
  killAllGroups();
  process.exit(2);
}, opts.deadlineMs);
deadline.unref();

const MODEL = 'mobilenetv2';
const manifestPath = path.resolve('models/manifest.json');
const modelsDir = path.resolve('models/cache');

async function ceiling(): Promise<CeilingResult> {
  const o = { manifest: manifestPath, modelsDir, model: MODEL, ...opts.ceiling, timeoutMs: 120_000 };
  const runs = await runCeiling(ceilingLayouts(opts.quick), o, log);
  const best = runs.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
  // The bare single image is taken with the worker's own settings (inference thread, 2 ORT threads): the same
  // code path an idle job takes, minus the queue, Redis and HTTP.
  const service = runs[0]!;
  return { runs, best, bareSingleMs: round(service.single!.totalMs, 1), bareSingleFrom: service.name };
}

function ratioOf(l: LayoutResult, c: CeilingResult): Ratio {
  const cap = atCapacity(l);
  return {
    throughput: round(l.capacity / c.best.imagesPerSecond, 3),
    cpu: round(c.best.cpuMsPerImage / cap.serviceCpuMsPerJob, 3),
    serviceCpuMsPerJob: cap.serviceCpuMsPerJob,
    ceilingCpuMsPerImage: c.best.cpuMsPerImage,
    from: cap.name,
  };
}

async function main() {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const manifest = loadManifest(manifestPath);
  const spec = findModel(manifest, MODEL)!;
  await ensureModelFiles({ manifest, names: [MODEL], modelsDir, mirror: path.join(SHARED_DIR, 'models'), log });
  const photos = await loadPhotos();
  const redis = await startRedis();
  try {
    const machine = await describeMachine(((await redis.client.info('server')).match(/redis_version:(\S+)/) ?? [])[1] ?? 'unknown');
    let ceilingResult: CeilingResult | null = null;
    if (opts.only !== 'system') {
      log('ceiling: bare pipeline, one layout per process');
      ceilingResult = await ceiling();
    }
    const system: LayoutResult[] = [];
    const errors: string[] = [];
    if (opts.only !== 'ceiling') {
      const w = new Workload(photos, photos.map(multipartBody));
      for (const layout of opts.system.layouts) {
        log(`system: ${layout}`);
        try {
          system.push(await runLayout(layout, redis, w, opts.system, log));
        } catch (err) {
          // One broken layout should not cost the figures of the others; the report says what happened.
          const msg = err instanceof Error ? err.message : String(err);
          log(`  ${layout} failed: ${msg}`);
          errors.push(`layout ${layout} failed: ${msg.split('\n')[0]}`);
        }
      }
      if (system.length === 0) throw new Error(errors.join('; '));
    }
    const ratios = Object.fromEntries(
      ceilingResult ? system.map((l) => [l.layout, ratioOf(l, ceilingResult!)]) : [],
    );
    const report: BenchReport = {
      startedAt, durationS: round((Date.now() - t0) / 1000, 0), quick: opts.quick, machine,
      model: { name: spec.name, version: spec.version, file: spec.model.file },
      photos: { dir: EVAL_DIR, count: photos.length },
      ceiling: ceilingResult, system, ratios,
      targets: system.flatMap((l) => checkTargets(l, ceilingResult)),
      notes: [
        ...errors,
        ...(redis.shared ? [`redis-server is not installed: used ${redis.url}, whose counts may include other traffic.`] : []),
        'The load generator runs on the same cores as the service; its CPU per job is in the tables.',
        'Open-loop latency counts from each job\'s scheduled arrival (Poisson, seeded).',
        ...(opts.quick ? ['Quick mode: tiny counts for a smoke test; the figures say nothing about speed.'] : []),
      ],
    };
    const files = await writeReport(report, opts.outDir);
    log(`report: ${files.md}\n        ${files.json}`);
    for (const t of report.targets) log(`  ${t.pass === null ? 'n/a ' : t.pass ? 'pass' : 'FAIL'} ${t.layout} ${t.name}: ${t.value} (goal ${t.goal})`);
  } finally {
    await redis.stop();
  }
}

main().then(
  () => {
    killAllGroups();
    process.exit(0);
  },
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllGroups();
    process.exit(1);
  },
);
