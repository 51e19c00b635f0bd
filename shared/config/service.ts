import path from 'node:path';
import { z } from 'zod';
import type { Parsed } from './fields.js';

/** The service as a whole: environment, logging, tracing, its data folder, how long jobs and answers are kept. */
export const serviceEnv = {
  /** `development` (default), `production` or `test`; anything else is refused. Libraries (Express) read it too. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino level; default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OpenTelemetry tracing is off unless this names an OTLP/HTTP collector (e.g. http://localhost:4318). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Prefix of the service name spans carry: `<name>-api`, `<name>-worker`; default `inferq`. */
  OTEL_SERVICE_NAME: z.string().min(1).default('inferq'),
  /** Where the embedded Redis of `npm start` keeps its AOF (and the generated webhook secret); default `.inferq`. */
  DATA_DIR: z.string().default('.inferq'),
  /** How long finished jobs (records, results) are kept, in seconds; default 86,400 (a day). */
  JOB_RETENTION_SECONDS: z.coerce.number().int().positive().default(86_400),
  /**
   * How long an answer is kept to serve the same image (same bytes, model version and label set) again without
   * the model, in seconds; default 3,600; 0 turns the result cache off.
   */
  RESULT_CACHE_SECONDS: z.coerce.number().int().min(0).default(3600),
  /** Test-only fault injection: a worker kills itself when it runs a batch holding an image with this sha256. */
  FAULT_CRASH_ON_SHA256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
};

export interface ServiceSettings {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  tracing: { otlpEndpoint?: string; serviceName: string };
  dataDir: string;
  retentionSeconds: number;
  resultCacheSeconds: number;
  faults: { crashOnSha256?: string };
}

export function serviceSettings(e: Parsed<typeof serviceEnv>): ServiceSettings {
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
    dataDir: path.resolve(e.DATA_DIR),
    retentionSeconds: e.JOB_RETENTION_SECONDS,
    resultCacheSeconds: e.RESULT_CACHE_SECONDS,
    faults: { crashOnSha256: e.FAULT_CRASH_ON_SHA256 },
  };
}
