import type { BenchReport, Ratio } from './report.js';
import { atCapacity, type LayoutResult } from './system.js';

const row = (cells: (string | number)[]) => `| ${cells.map((c) => (typeof c === 'number' && !Number.isFinite(c) ? '–' : String(c))).join(' | ')} |`;
const table = (head: string[], rows: (string | number)[][]) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const verdict = (p: boolean | null) => (p === null ? 'n/a' : p ? '**pass**' : '**FAIL**');

/** The human half of the report: the same figures as the JSON, as tables. */
export function toMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [
    `# inferq bench, ${r.startedAt}${r.quick ? ' (quick)' : ''}`,
    '',
    `${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, Linux ${m.kernel}; Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ` +
      `sharp ${m.sharp} (libvips ${m.libvips}), BullMQ ${m.bullmq}, Redis ${m.redis}. Load average at start: ${m.loadAverageAtStart.join(' ')}.`,
    `Model ${r.model.name} ${r.model.version} (${r.model.file}); ${r.photos.count} photos of ${r.photos.dir}. Run took ${r.durationS} s.`,
    '',
    '## Targets',
    '',
    table(['layout', 'target', 'goal', 'measured', 'result'], r.targets.map((t) => [t.layout, t.name, t.goal, t.value, verdict(t.pass)])),
    '',
  ];
  if (r.ceiling) {
    const c = r.ceiling;
    out.push(
      '## Ceiling: the bare pipeline (decode + preprocess + batched inference, one machine, no HTTP, no queue)',
      '',
      table(
        ['layout', 'img/s (best round)', 'all rounds', 'other load (cores)', 'CPU ms/img', 'loop delay p99 ms', 'peak RSS MB', 'top-1', 'idle single: decode / infer / total ms'],
        c.runs.map((x) => [
          x.name + (x.name === c.best.name ? ' **(best)**' : ''), x.imagesPerSecond, x.rounds.join(', '), x.otherCores, x.cpuMsPerImage, x.loopDelayP99Ms, x.peakRssMb, x.top1,
          x.single ? `${x.single.decodeMs.toFixed(1)} / ${x.single.inferMs.toFixed(1)} / ${x.single.totalMs.toFixed(1)}` : '–',
        ]),
      ),
      '',
      `Ceiling **${c.best.imagesPerSecond} img/s** (${c.best.name}); bare single image **${c.bareSingleMs} ms** (${c.bareSingleFrom}).`,
      '',
    );
  }
  for (const l of r.system) out.push(...layoutSection(l, r.ratios[l.layout]));
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

function layoutSection(l: LayoutResult, ratio: Ratio | undefined): string[] {
  const runs = [l.idle.wait, l.idle.poll, ...l.closed, ...(l.closedPoll ? [l.closedPoll] : []), ...l.wrk, ...l.open, ...(l.openPoll ? [l.openPoll] : [])];
  const labels = Object.keys(runs[0]!.processes);
  const s = l.startup;
  const cmdRun = l.closed.find((x) => x.concurrency === 16) ?? l.closed[l.closed.length - 1]!;
  const cap = atCapacity(l);
  const out = [
    `## System: ${l.layout} (${l.description})`,
    '',
    `Capacity **${l.capacity} jobs/s**${ratio ? ` = **${ratio.throughput.toFixed(2)} ×** the ceiling` : ''}` +
      `; at capacity (${cap.name}, client ${cap.client.tool} at ${cap.client.cpuMsPerJob} ms CPU per job) the service spends **${cap.serviceCpuMsPerJob} ms CPU per job** (API, workers, Redis)` +
      `${ratio ? ` against the ceiling's ${ratio.ceilingCpuMsPerImage} ms per image: CPU ratio **${ratio.cpu.toFixed(2)}**` : ''}. ` +
      `Startup to ready: API ${s.apiReadyMs} ms, worker ${s.workerReadyMs.join(' / ')} ms (each from its own process start); ` +
      `first spawn to \`/ready\` 200: ${s.systemReadyMs} ms. Settings: ${Object.entries(l.settings).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults'}.`,
    '',
    '### Load',
    '',
    table(
      ['run', 'ok/sent', 'jobs/s', 'p50', 'p95', 'p99', 'queue p50', 'preproc p50', 'infer p50', 'job total p50', 'outside job p50', 'batch mean', 'flushes', 'polls/job', 'wait → 202'],
      runs.map((x) => [
        x.name, `${x.ok}/${x.jobs}`, x.throughput, x.latency.p50, x.latency.p95, x.latency.p99, x.timings.queue.p50, x.timings.preprocess.p50,
        x.timings.inference.p50, x.timings.total.p50, x.outsideJobMs.p50, x.batches.meanBatchSize,
        Object.entries(x.batches.flushes).map(([k, v]) => `${k} ${v}`).join(', '), x.pollsPerJob, x.waitTimeouts,
      ]),
    ),
    '',
    'Latencies in ms, submit → result at the client. queue/preproc/infer/job total are medians of the jobs\' own `timings`. `outside job` = client latency − the job\'s own total_ms (upload, API checks, enqueue, notification, answer).',
    '',
    '### CPU per job (ms; main thread in brackets), event-loop delay p99 / max (ms)',
    '',
    table(
      ['run', 'service CPU', ...labels.map((k) => `${k} CPU`), 'client CPU', 'cores busy', 'other load (cores)', ...Object.keys(runs[0]!.eventLoop).map((k) => `${k} loop`), 'Redis cmds/job'],
      runs.map((x) => [
        x.name,
        x.serviceCpuMsPerJob,
        ...labels.map((k) => (x.processes[k] ? `${x.processes[k].cpuMsPerJob} (${x.processes[k].mainThreadCpuMsPerJob})` : '–')),
        `${x.client.cpuMsPerJob} (${x.client.tool})`,
        Object.values(x.processes).reduce((a, p) => a + p.cores, 0).toFixed(2),
        x.otherCores,
        ...Object.values(x.eventLoop).map((e) => `${e.p99} / ${e.max}`),
        x.redis.commandsPerJob,
      ]),
    ),
    '',
    'CPU per job = the process\'s CPU time over the run ÷ all jobs of the run (with two workers, each did about half); ' +
      '`bench` is the bench process (the load generator in Node runs); `client CPU` is the load generator\'s own, wrk\'s from its ' +
      'process times. wrk runs have no per-job timings or top-1 (wrk does not read the answers). Loop delay is how late the event loop ran beyond its 10 ms sampling.',
    '',
    `Peak RSS: ${Object.entries(l.peakRssMb).map(([k, v]) => `${k} ${v} MB`).join(', ')}; ` +
      `right after startup: ${Object.entries(l.startup.rssAtReadyMb).map(([k, v]) => `${k} ${v} MB`).join(', ')}.`,
    '',
    ...sizing(cap),
    '### Redis',
    '',
    `Commands per job (${cmdRun.name}): **${cmdRun.redis.netCommandsPerJob}** net of the background, ${cmdRun.redis.commandsPerJob} raw by INFO ` +
      `commandstats (scripts' inner commands included), ${cmdRun.redis.totalCommandsPerJob} by total_commands_processed. ` +
      `With no jobs: ${l.idleRedisCommandsPerSecond} commands/s in the background. ` +
      `Memory per retained job: **${l.redisMemory.perJobBytes} B** (${l.redisMemory.fromRun}); MEMORY USAGE of one job record ${l.redisMemory.jobRecordBytes ?? '–'} B, ` +
      `of its BullMQ job ${l.redisMemory.bullJobBytes ?? '–'} B.`,
    '',
    table(['command', 'per job'], Object.entries(cmdRun.redis.byCommandPerJob).map(([k, v]) => [k, v])),
    '',
  ];
  if (l.trace) {
    const per = (n: number) => (n / Math.max(1, l.trace!.jobs)).toFixed(1);
    out.push(
      `Round trips per job by connection (MONITOR over ${l.trace.jobs} sequential jobs): ${per(l.trace.clientCommands)} sent by clients, ` +
        `${per(l.trace.luaCommands)} run inside Lua scripts.`,
      '',
      table(
        ['connection', 'commands per job'],
        Object.entries(l.trace.byConnection).map(([name, cmds]) => [
          name,
          Object.entries(cmds).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${per(n)}`).join(', '),
        ]),
      ),
      '',
      table(
        ['script', 'calls per job', 'commands inside per job', 'most frequent inside'],
        Object.entries(l.trace.scripts)
          .sort((a, b) => b[1].inner - a[1].inner)
          .map(([name, x]) => [
            name, per(x.calls), per(x.inner),
            Object.entries(x.commands).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([c, n]) => `${c} ${per(n)}`).join(', '),
          ]),
      ),
      '',
    );
  }
  return out;
}

/** Jobs per second one core of each role sustains, from its CPU per job at capacity. */
function sizing(r: LayoutResult['closed'][number]): string[] {
  const sum = (pred: (k: string) => boolean) => Object.entries(r.processes).filter(([k]) => pred(k)).reduce((a, [, p]) => a + p.cpuMsPerJob, 0);
  const perCore = (ms: number) => (ms > 0 ? Math.round(1000 / ms) : '–');
  const worker = sum((k) => k.startsWith('worker'));
  const api = sum((k) => k === 'api');
  const redis = sum((k) => k === 'redis');
  return [
    `Sizing (from ${r.name}): per core, the whole service does **${perCore(r.serviceCpuMsPerJob)} jobs/s**; workers alone ` +
      `${perCore(worker)} jobs/s per core (${worker.toFixed(1)} ms CPU per job), the API ${perCore(api)} jobs/s per core ` +
      `(${api.toFixed(1)} ms), Redis ${perCore(redis)} jobs/s per core (${redis.toFixed(1)} ms, ${r.redis.netCommandsPerJob} commands per job).`,
    '',
  ];
}
