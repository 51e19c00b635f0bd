import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult } from './load.js';
import { BOUNDARY } from './photos.js';
import { spawnGroup } from './procs.js';
import { round, type Summary } from './stats.js';

/**
 * The service measured with `wrk` (Debian's package), which costs the machine ~0.1 ms CPU per request against
 * 2–3 ms for a Node client (PERFORMANCE.md): a Lua script rotates the eval photos' pre-built multipart bodies.
 * wrk does not read answers, so these runs give throughput, latency and CPU, not top-1 (the Node runs do).
 */
export const WRK = '/usr/bin/wrk';

export function wrkAvailable(): boolean {
  return spawnSync(WRK, ['--version']).error === undefined;
}

// One Lua state per wrk thread (-t1 here). Latency is in µs. summary.errors.status counts answers ≥ 400
// (202, a wait that ran out, counts as answered; the Node runs report those separately).
const SCRIPT = `
local bodies, i = {}, 0
local headers = { ["Content-Type"] = "multipart/form-data; boundary=${BOUNDARY}", ["Prefer"] = "wait=60" }
function init(args)
  for n = 1, #args do local f = assert(io.open(args[n], "rb")); bodies[n] = f:read("*a"); f:close() end
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/jobs", headers, bodies[i])
end
function done(s, lat, req)
  local e = s.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"status":%d,"socket":%d,"timeout":%d,' ..
    '"mean":%f,"p50":%d,"p95":%d,"p99":%d,"min":%d,"max":%d}\\n', s.requests, s.duration, e.status,
    e.connect + e.read + e.write, e.timeout, lat.mean, lat:percentile(50), lat:percentile(95), lat:percentile(99), lat.min, lat.max))
end
`;

export interface WrkOutcome {
  sent: number;
  ok: number;
  elapsedMs: number;
  latency: Summary;
  /** wrk's own CPU (user + system), from bash's `times` after it exited. */
  clientCpuMs: number;
  errors: string[];
}

/** A closed loop of `connections` wrk connections for `seconds`, against `baseUrl` (POST /v1/jobs, Prefer: wait). */
export async function runWrk(baseUrl: string, bodies: Buffer[], o: { connections: number; seconds: number }): Promise<WrkOutcome> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-wrk-'));
  try {
    const files = await Promise.all(bodies.map(async (b, i) => {
      const f = path.join(dir, `${i}.body`);
      await fs.writeFile(f, b);
      return f;
    }));
    await fs.writeFile(path.join(dir, 'rotate.lua'), SCRIPT);
    const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '70s', '-s', path.join(dir, 'rotate.lua'), baseUrl, '--', ...files];
    // bash's `times` prints its children's CPU after wrk exits: the client's cost, whatever it was.
    const out = await capture('bash', ['-c', `"${WRK}" "$@"; times`, 'wrk', ...args]);
    const line = out.split('\n').find((l) => l.startsWith('WRK '));
    if (!line) throw new Error(`wrk printed no summary: ${out.slice(0, 500)}`);
    const r = JSON.parse(line.slice(4)) as Record<string, number>;
    const us = (k: string) => round(r[k]! / 1000);
    const failed = r.status! + r.socket! + r.timeout!;
    return {
      sent: r.requests!,
      ok: Math.max(0, r.requests! - r.status!),
      elapsedMs: r.durationUs! / 1000,
      latency: { n: r.requests!, mean: us('mean'), p50: us('p50'), p95: us('p95'), p99: us('p99'), min: us('min'), max: us('max') },
      clientCpuMs: childCpuMs(out),
      errors: failed ? [`${r.status} answers ≥ 400, ${r.socket} socket errors, ${r.timeout} timeouts`] : [],
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A wrk run as the LoadResult the reports take: counts and latency from wrk, no per-job samples. */
export function wrkLoad(w: WrkOutcome): LoadResult {
  return { samples: [], elapsedMs: w.elapsedMs, clientLoopP99Ms: 0, clientCpuMs: w.clientCpuMs, counted: { sent: w.sent, ok: w.ok, latency: w.latency, errors: w.errors } };
}

// `times` prints two lines, the shell's then its children's: "0m1.234s 0m0.567s".
function childCpuMs(out: string): number {
  const lines = out.trim().split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim()));
  const last = lines[lines.length - 1];
  if (!last) return NaN;
  return last.trim().split(' ').reduce((a, t) => {
    const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(t)!;
    return a + (Number(m) * 60 + Number(s)) * 1000;
  }, 0);
}

// In a process group of the bench's, so Ctrl-C and the bench's time limit stop wrk too.
function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawnGroup(cmd, args, { captureStdout: true }).child;
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d));
    p.stderr!.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out.slice(0, 500)}`))));
  });
}
