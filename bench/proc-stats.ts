import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** CPU and memory of a process (and of its threads) from /proc, for the per-process part of the report. */
export interface ProcSample {
  pid: number;
  at: number;
  cpuTicks: number;
  /** Ticks of the main thread alone (tid = pid): JS, the event loop, and whatever runs on it. */
  mainTicks: number;
  rssKb: number;
  /** VmHWM: the peak resident set since the process started. */
  hwmKb: number;
  threads: number;
}

export interface ProcUsage {
  /** CPU time used between two samples, all threads, in ms. */
  cpuMs: number;
  mainThreadCpuMs: number;
  /** Average cores busy over the interval. */
  cores: number;
  rssMb: number;
  peakRssMb: number;
  threads: number;
}

let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Fields after the `(comm)` of /proc/<pid>/stat; index 0 is field 3 (state). */
function statFields(file: string): string[] {
  const s = fs.readFileSync(file, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

const ticksOf = (f: string[]) => Number(f[11]) + Number(f[12]);

export function sampleProc(pid: number): ProcSample | null {
  try {
    const f = statFields(`/proc/${pid}/stat`);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return {
      pid,
      at: performance.now(),
      cpuTicks: ticksOf(f),
      mainTicks: ticksOf(statFields(`/proc/${pid}/task/${pid}/stat`)),
      rssKb: kb('VmRSS'),
      hwmKb: kb('VmHWM'),
      threads: Number(f[17]),
    };
  } catch {
    return null;
  }
}

export function usageBetween(a: ProcSample, b: ProcSample): ProcUsage {
  const ms = (ticks: number) => (ticks * 1000) / ticksPerSecond();
  const cpuMs = ms(b.cpuTicks - a.cpuTicks);
  return {
    cpuMs,
    mainThreadCpuMs: ms(b.mainTicks - a.mainTicks),
    cores: cpuMs / Math.max(1, b.at - a.at),
    rssMb: b.rssKb / 1024,
    peakRssMb: b.hwmKb / 1024,
    threads: b.threads,
  };
}

/** Wall-clock ms (performance.now() timeline) at which `pid` started, from its start time in clock ticks since boot. */
export function processStartedAt(pid: number): number | null {
  try {
    const startTicks = Number(statFields(`/proc/${pid}/stat`)[19]);
    const uptimeS = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const ageMs = uptimeS * 1000 - (startTicks * 1000) / ticksPerSecond();
    return performance.now() - ageMs;
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine (all cores) from /proc/stat, in ms. */
export function sampleMachine(): { busyMs: number; at: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / ticksPerSecond(), at: performance.now() };
}
