import type { z } from 'zod';

/** What `loadConfig` throws: every problem found, one line each (`KEY="value": why`). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

// A bad secret is named, never printed: config errors reach logs and terminals.
const SECRET_KEYS = new Set(['ADMIN_TOKEN', 'WEBHOOK_SECRET', 'METRICS_TOKEN', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD']);
function shown(key: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (SECRET_KEYS.has(key)) return '[redacted]';
  return key === 'REDIS_URL' ? value.replace(/\/\/[^@/]*@/, '//***@') : value;
}

/** The ConfigError of a failed parse: each bad key with its value as given (secrets redacted) and the reason. */
export function configErrorOf(issues: readonly z.core.$ZodIssue[], env: Env): ConfigError {
  return new ConfigError(
    issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}=${JSON.stringify(shown(key, env[key]))}: ${i.message}`;
    }),
  );
}
