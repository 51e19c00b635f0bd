import type { Logger } from './logger.js';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Closers registered by the composition root, run once in reverse order of registration, each even if an
 * earlier one failed, all within one deadline (BullMQ's close has no timeout of its own).
 */
export class Closers {
  private readonly closers: Closer[] = [];
  private closing: Promise<boolean> | null = null;

  add(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  /** Resolves true when every closer finished within `deadlineMs`. */
  closeAll(deadlineMs: number, logger?: Logger): Promise<boolean> {
    this.closing ??= (async () => {
      const run = (async () => {
        for (const c of [...this.closers].reverse()) {
          try {
            await c.close();
          } catch (err) {
            logger?.warn({ err, closer: c.name }, 'closer failed');
          }
        }
        return true;
      })();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
        timer.unref();
      });
      const ok = await Promise.race([run, deadline]);
      clearTimeout(timer);
      if (!ok) logger?.warn({ deadlineMs }, 'shutdown deadline passed');
      return ok;
    })();
    return this.closing;
  }
}

/** Calls `onSignal` once for the first SIGTERM or SIGINT; a second signal exits at once. */
export function onShutdownSignal(onSignal: (signal: string) => void): void {
  let seen = false;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (seen) process.exit(1);
      seen = true;
      onSignal(sig);
    });
  }
}
