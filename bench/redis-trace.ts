import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * What each connection sends: MONITOR over a short run, each command attributed to the client name of the
 * connection that sent it (`CLIENT LIST`), or, when a Lua script ran it, to that script (named by matching its
 * SHA against BullMQ's and inferq's script sources). Separates round trips (what a process waits for) from the
 * commands a script runs inside Redis.
 */
export interface TraceResult {
  /** connection name → command → count (client-issued commands). */
  byConnection: Record<string, Record<string, number>>;
  /** script name → calls and the commands it ran inside Redis. */
  scripts: Record<string, { calls: number; inner: number; commands: Record<string, number> }>;
  clientCommands: number;
  luaCommands: number;
}

async function scriptNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const sha = (s: string) => createHash('sha1').update(s).digest('hex');
  try {
    const bull = (await import('bullmq/dist/esm/scripts/index.js')) as Record<string, { name?: string; content?: string }>;
    for (const s of Object.values(bull)) if (s?.content && s.name) names.set(sha(s.content), `bullmq ${s.name}`);
  } catch {
    // BullMQ's layout changed: scripts stay known by SHA only.
  }
  try {
    const own = (await import('../shared/job-scripts.js')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(own)) if (typeof v === 'string') names.set(sha(v), `inferq ${k}`);
  } catch {
    // no such module any more
  }
  return names;
}

export async function traceRedis<T>(url: string, run: () => Promise<T>): Promise<{ result: T; trace: TraceResult }> {
  const known = await scriptNames();
  // monitor() opens a connection of its own; the one it came from must be closed too.
  const base = new Redis(url);
  const monitor = await base.monitor();
  const seen: { source: string; args: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ source, args }));
  let result: T;
  try {
    result = await run();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    monitor.disconnect();
    base.disconnect();
  }
  const admin = new Redis(url);
  const names = new Map<string, string>();
  try {
    const list = (await admin.client('LIST')) as string;
    for (const line of list.trim().split('\n')) {
      const addr = /\baddr=(\S+)/.exec(line)?.[1];
      const name = /\bname=(\S*)/.exec(line)?.[1];
      if (addr) names.set(addr, name || 'unnamed');
    }
  } finally {
    admin.disconnect();
  }
  return { result: result!, trace: summarize(seen, names, known) };
}

function summarize(seen: { source: string; args: string[] }[], names: Map<string, string>, known: Map<string, string>): TraceResult {
  const trace: TraceResult = { byConnection: {}, scripts: {}, clientCommands: 0, luaCommands: 0 };
  const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
  let script: TraceResult['scripts'][string] | null = null;
  for (const { source, args } of seen) {
    const cmd = String(args[0] ?? '').toLowerCase();
    if (cmd === 'monitor' || cmd === 'client') continue;
    if (source === 'lua') {
      trace.luaCommands++;
      const s = (script ??= (trace.scripts['unknown script'] ??= { calls: 0, inner: 0, commands: {} }));
      s.inner++;
      bump(s.commands, cmd);
      continue;
    }
    script = null;
    if (cmd === 'evalsha' || cmd === 'eval') {
      const id = cmd === 'evalsha' ? String(args[1]) : createHash('sha1').update(String(args[1])).digest('hex');
      const label = known.get(id) ?? `script ${id.slice(0, 8)}`;
      script = trace.scripts[label] ??= { calls: 0, inner: 0, commands: {} };
      script.calls++;
    }
    bump((trace.byConnection[names.get(source) ?? 'closed connection'] ??= {}), cmd);
    trace.clientCommands++;
  }
  return trace;
}
