import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { sleep } from './stats.js';

/**
 * Every process the bench starts runs in its own process group (detached), so stopping a group also stops what
 * it started (the launcher's API and worker). Groups still alive when the bench exits, for whatever reason, are
 * killed from the exit handler.
 */
const groups = new Set<number>();

export interface Spawned {
  child: ChildProcess;
  pid: number;
  startedAt: number;
  /** The last ~16 KB of stdout and stderr, for error messages. */
  output: () => string;
}

export function spawnGroup(cmd: string, args: string[], opts: SpawnOptions & { captureStdout?: boolean } = {}): Spawned {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const startedAt = performance.now();
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  const pid = child.pid;
  groups.add(pid);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-16_384);
  };
  if (!opts.captureStdout) child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', () => {
    // The leader is gone; the group may still hold its children, so only forget it once they are gone too.
    if (!groupAlive(pid)) groups.delete(pid);
  });
  return { child, pid, startedAt, output: () => tail };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function pidAlive(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

/** SIGTERM to the whole group, then SIGKILL after `graceMs` if anything of it is left. */
export async function stopGroup(pgid: number, graceMs = 10_000): Promise<void> {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    groups.delete(pgid);
    return;
  }
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  groups.delete(pgid);
}

const tempDirs = new Set<string>();

/** A temp directory to delete when the bench exits, however it exits (a clean stop deletes it earlier). */
export function removeOnExit(dir: string): string {
  tempDirs.add(dir);
  return dir;
}

/** Synchronous last resort: SIGKILL every group still known, then delete the temp directories left. */
export function killAllGroups(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

let installed = false;

/** Kills every spawned group on exit, Ctrl-C, SIGTERM and crashes. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllGroups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllGroups();
      process.exit(130);
    });
  }
}

/** Direct children of `pid` (the standalone launcher's API and worker), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (s) out.push(...s.split(/\s+/).map(Number));
    }
  } catch {
    // process gone
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Thrown by a probe to stop waiting at once (the process being waited for died). */
export class FatalWait extends Error {}

/** Polls `probe` every `everyMs` until it returns true; resolves the ms it took, or rejects after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const ok = await probe().catch((err: unknown) => {
      if (err instanceof FatalWait) throw err;
      return false;
    });
    if (ok) return performance.now() - t0;
    await sleep(everyMs);
  }
  throw new Error(`${what} not within ${timeoutMs} ms`);
}
