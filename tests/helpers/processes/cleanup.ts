import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * Every process group a fault test started, so none outlives the test file: each helper's `stop()` kills its
 * own, and if a test or hook throws before that, the `exit` hook below still SIGKILLs what is left.
 */
const groups = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A temp dir to remove at process exit if its owner's `stop()` never ran; `untrackDir` once it is removed. */
export function trackDir(dir: string): void {
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

let exiting = false;

export function trackGroup(child: ChildProcess): void {
  // A test still running after the process was told to go must not leave new children behind.
  if (exiting) queueMicrotask(() => signalGroup(child, 'SIGKILL'));
  groups.add(child);
  child.once('exit', () => groups.delete(child));
}

/** Sends `signal` to the child's whole process group (children are spawned `detached`, so pid = pgid). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function killAllGroups(): void {
  for (const child of groups) signalGroup(child, 'SIGKILL');
  groups.clear();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.once('exit', killAllGroups);
// Detached children do not get the terminal's Ctrl-C, and 'exit' does not run on a fatal signal: kill them
// first, then let the signal do what it would have done.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    exiting = true;
    killAllGroups();
    process.off(sig, onSignal);
    process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}

/** Resolves with how the child ended; at once when it has already ended. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits for the child to end, up to `timeoutMs`; null when it is still running then. */
export async function waitExit(child: ChildProcess, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    return await Promise.race([exitOf(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs the group and waits (bounded) for the exit to be observed. */
export async function killGroup(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  signalGroup(child, 'SIGKILL');
  await waitExit(child, timeoutMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs: number, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${why})`);
    }
    await sleep(everyMs);
  }
}

/** A capped text buffer of a child's stdout and stderr, kept for diagnosing a failed test. */
export class OutputLog {
  private text = '';
  constructor(private readonly cap = 256 * 1024) {}

  attach(child: ChildProcess, label: string): void {
    const add = (d: Buffer) => this.append(d.toString('utf8'), label);
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  }

  append(s: string, label = ''): void {
    this.text += label ? s.replace(/^(?=.)/gm, `[${label}] `) : s;
    if (this.text.length > this.cap) this.text = this.text.slice(this.text.length - this.cap);
  }

  get value(): string {
    return this.text;
  }

  tail(chars = 6_000): string {
    return this.text.slice(-chars);
  }
}
