/**
 * How a child process tells the launcher (`npm start`) how its start went, over the IPC channel the launcher
 * opens. Started on its own (`npm run start:worker`), a process has no channel and these do nothing.
 */
export type ChildReport = { type: 'started'; metrics_port?: number } | { type: 'start_failed'; reason: string };

// The channel must not keep a process alive that has nothing else to do.
process.channel?.unref();

export function reportStarted(info: { metrics_port?: number } = {}): void {
  process.send?.({ type: 'started', ...info } satisfies ChildReport);
}

/** Resolves once the message is handed over, so the caller can exit right after. */
export function reportStartFailed(reason: string): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send({ type: 'start_failed', reason } satisfies ChildReport, undefined, {}, () => resolve());
  });
}
