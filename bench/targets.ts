import type { CeilingResult } from './report.js';
import { atCapacity, type LayoutResult } from './system.js';
import { round } from './stats.js';

export interface Target {
  layout: string;
  name: string;
  goal: string;
  value: string;
  pass: boolean | null;
}

/** Issue 12's targets, checked against one layout of the system (null: not measured in this run). */
export function checkTargets(l: LayoutResult, ceiling: CeilingResult | null): Target[] {
  const t = (name: string, goal: string, value: string, pass: boolean | null): Target => ({ layout: l.layout, name, goal, value, pass });
  const idle = l.idle.wait.latency.p50;
  const half = l.open.find((r) => r.name.startsWith('open 50 %')) ?? null;
  const cmdRun = l.closed.find((r) => r.concurrency === 16) ?? l.closed[l.closed.length - 1]!;
  const workers = Object.entries(l.peakRssMb).filter(([k]) => k.startsWith('worker'));
  const workerRss = Math.max(...workers.map(([, v]) => v));
  const apiRss = l.peakRssMb.api ?? NaN;
  const ready = Math.max(l.startup.apiReadyMs, ...l.startup.workerReadyMs);
  const out: Target[] = [];
  if (ceiling) {
    const ratio = l.capacity / ceiling.best.imagesPerSecond;
    out.push(t('throughput vs ceiling', '≥ 0.85 × the bare pipeline', `${l.capacity} / ${ceiling.best.imagesPerSecond} img/s = ${round(ratio, 2)}`, ratio >= 0.85));
    const cap = atCapacity(l);
    const ceilingCpu = ceiling.best.cpuMsPerImage;
    out.push(t('service CPU per job', `≤ ceiling CPU per image + 1 ms (${round(ceilingCpu + 1, 2)} ms)`,
      `${cap.serviceCpuMsPerJob} ms (${cap.name}) vs ${ceilingCpu} ms; ratio ${round(ceilingCpu / cap.serviceCpuMsPerJob, 2)}`, cap.serviceCpuMsPerJob <= ceilingCpu + 1));
    const bare = ceiling.bareSingleMs;
    out.push(t('idle single job', `≤ bare single image + 4 ms (${round(bare + 4, 1)} ms)`, `median ${idle} ms (bare ${bare} ms)`, idle <= bare + 4));
  } else {
    out.push(t('throughput vs ceiling', '≥ 0.85 × the bare pipeline', 'ceiling not run', null));
    out.push(t('service CPU per job', '≤ ceiling CPU per image + 1 ms', 'ceiling not run', null));
    out.push(t('idle single job', '≤ bare single image + 4 ms', `median ${idle} ms, ceiling not run`, null));
  }
  out.push(half
    ? t('p99 at half capacity', `≤ 3 × idle single job (${round(3 * idle, 1)} ms)`, `p99 ${half.latency.p99} ms at ${half.offeredRate}/s`, half.latency.p99 <= 3 * idle)
    : t('p99 at half capacity', '≤ 3 × idle single job', 'no 50 % open-loop run', null));
  out.push(t('startup to ready', 'API and worker ≤ 2 s each', `API ${l.startup.apiReadyMs} ms, worker ${l.startup.workerReadyMs.join(' / ')} ms`, ready <= 2000));
  out.push(t('worker RSS', '≤ 300 MB', `${workers.map(([k, v]) => `${k} ${v}`).join(', ')} MB peak`, workerRss <= 300));
  out.push(t('API RSS', '≤ 150 MB', `${apiRss} MB peak`, apiRss <= 150));
  const cmds = cmdRun.redis.netCommandsPerJob;
  out.push(t('Redis commands per job', '≤ 45', `${cmds} net of background, ${cmdRun.redis.commandsPerJob} raw (${cmdRun.name})`, cmds <= 45));
  return out;
}
