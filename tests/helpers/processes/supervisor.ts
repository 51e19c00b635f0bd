import type { FaultStack, ServiceProcess } from './processes.js';
import { sleep } from './cleanup.js';

export interface Death {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * Keeps one worker running the way `npm start` does: when it dies, a new one is started (after `delayMs`), at
 * most `maxRestarts` times so a crash loop ends the test instead of spinning.
 */
export class WorkerSupervisor {
  readonly deaths: Death[] = [];
  current: ServiceProcess | null = null;
  private stopped = false;
  private restarts = 0;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly stack: FaultStack,
    private readonly env: Record<string, string>,
    private readonly opts: { maxRestarts: number; delayMs: number },
  ) {}

  async start(): Promise<ServiceProcess> {
    await this.launch();
    return this.current!;
  }

  get restartsLeft(): number {
    return this.opts.maxRestarts - this.restarts;
  }

  private launch(): Promise<void> {
    this.starting = (async () => {
      while (!this.stopped) {
        try {
          const p = await this.stack.startWorker(this.env);
          this.current = p;
          void p.exited().then(({ code, signal }) => this.onExit(p, code, signal));
          return;
        } catch {
          // It died while booting; that counts as a death and a restart.
          const p = this.stack.processes.at(-1)!;
          const { code, signal } = await p.exited();
          this.deaths.push({ name: p.name, pid: p.pid, code, signal, at: Date.now() });
          if (++this.restarts > this.opts.maxRestarts) return;
          await sleep(this.opts.delayMs);
        }
      }
    })();
    return this.starting;
  }

  private onExit(p: ServiceProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.current === p) this.current = null;
    this.deaths.push({ name: p.name, pid: p.pid, code, signal, at: Date.now() });
    if (this.stopped || ++this.restarts > this.opts.maxRestarts) return;
    void sleep(this.opts.delayMs).then(() => (this.stopped ? undefined : this.launch()));
  }

  /** Stops restarting (the stack's cleanup kills what runs). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
  }
}
