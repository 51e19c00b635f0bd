import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../shared/logger.js';
import type { ChildReport } from '../../shared/child-report.js';

export interface ChildSpec {
  name: string;
  file: string;
  env: NodeJS.ProcessEnv;
  /** Restart it when it dies (workers); otherwise its death ends the launcher (the API). */
  restart: boolean;
}

export interface SupervisorOptions {
  logger: Logger;
  /** Called once when the launcher cannot go on: a non-restarted child died, or one kept failing at start. */
  onFatal: (reason: string) => void;
  /** Identical start failures in a row after which a child is given up on. */
  maxStartFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Extra arguments for node before the file (tests pass `--import tsx`). */
  execArgv?: string[];
}

interface State {
  startFailures: number;
  lastReason: string | null;
  crashes: number;
}

/**
 * The launcher's children. A child says over IPC whether it started (shared/child-report.ts); one that dies
 * before saying so failed at start. Start failures back off (0.5 s, 1 s, 2 s, …) and the same failure
 * `maxStartFailures` times in a row gives up: a taken port or a broken model file does not heal by retrying,
 * and a silent restart loop hides it. A child that started and later crashed is restarted (backing off if it
 * keeps crashing within a minute), never given up on.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {}

  start(spec: ChildSpec, state: State = { startFailures: 0, lastReason: null, crashes: 0 }): void {
    if (this.stopping) return;
    const { logger } = this.opts;
    const child = spawn(process.execPath, [...(this.opts.execArgv ?? process.execArgv), spec.file], {
      env: spec.env,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    this.children.set(spec.name, child);
    const startedAt = Date.now();
    let started = false;
    let reported: string | null = null;
    child.on('message', (m: ChildReport) => {
      if (m?.type === 'started') {
        started = true;
        state.startFailures = 0;
        state.lastReason = null;
      } else if (m?.type === 'start_failed') reported = m.reason;
    });
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      const reason = reported ?? `exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
      logger.error({ child: spec.name, code, signal, started, reason }, started ? 'child process exited' : 'child process failed to start');
      if (!spec.restart) return this.fatal(`${spec.name} ${started ? 'exited' : 'failed to start'}: ${reason}`);
      let attempt: number;
      if (started) {
        state.crashes = Date.now() - startedAt > 60_000 ? 0 : state.crashes + 1;
        attempt = state.crashes;
      } else {
        state.startFailures = reason === state.lastReason ? state.startFailures + 1 : 1;
        state.lastReason = reason;
        const max = this.opts.maxStartFailures ?? 5;
        if (state.startFailures >= max) {
          return this.fatal(`${spec.name} failed to start ${max} times in a row, each time: ${reason}`);
        }
        attempt = state.startFailures;
      }
      const delay = Math.min(this.opts.maxDelayMs ?? 30_000, (this.opts.baseDelayMs ?? 500) * 2 ** Math.max(0, attempt - 1));
      logger.warn({ child: spec.name, delay_ms: delay, attempt }, 'restarting child process');
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.start(spec, state);
      }, delay);
      this.timers.add(timer);
    });
  }

  private fatal(reason: string): void {
    if (this.stopping) return;
    this.opts.onFatal(reason);
  }

  /** SIGTERM to every child; resolves when all have exited. No restarts after this. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(
      [...this.children.values()].map(
        (c) => new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
      ),
    );
  }
}
