import { pino, type Logger } from 'pino';

export type { Logger };

/** One root logger per process; components take children (`logger.child({ component: 'batcher' })`). */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets must never reach a log line, even by accident through a logged request or config object.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.secret', '*.apiKey', 'secret'],
      censor: '[redacted]',
    },
  });
}
