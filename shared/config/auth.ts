import path from 'node:path';
import { z } from 'zod';
import { list, type Parsed } from './fields.js';

/** Who may call the API, the operator endpoints and `/metrics`. */
export const authEnv = {
  /** Bearer token for operator endpoints (`/admin/queues`, `/v1/webhooks/secret`); they are off without it. */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * API keys, as sha256 hex digests of the keys (never the keys themselves), each optionally named
   * (`name:digest`), comma separated. With none here and no API_KEYS_FILE, the API is open (one-machine default).
   */
  API_KEYS: list,
  /** A file of `name:sha256hex` lines (# comments); re-read when it changes, so a key is revoked without a restart. */
  API_KEYS_FILE: z.string().optional(),
  /** Bearer token Prometheus must send for `/metrics`; open without it. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
};

export interface AuthSettings {
  adminToken?: string;
  auth: { apiKeys: string[]; apiKeysFile?: string; metricsToken?: string };
}

export function authSettings(e: Parsed<typeof authEnv>): AuthSettings {
  return {
    adminToken: e.ADMIN_TOKEN,
    auth: { apiKeys: e.API_KEYS, apiKeysFile: e.API_KEYS_FILE ? path.resolve(e.API_KEYS_FILE) : undefined, metricsToken: e.METRICS_TOKEN },
  };
}
