import { z } from 'zod';
import path from 'node:path';
import os from 'node:os';

/**
 * The whole configuration, read from the environment once at boot. This is the only module that reads
 * `process.env`; everything else receives the frozen object it returns.
 */
const durationMs = (def: number) => z.coerce.number().int().nonnegative().default(def);
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** A comma list whose every item `parse` accepts (null = refused); otherwise the key fails with `message`. */
const listOf = <T>(def: string, parse: (item: string) => T | null, message: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const out = s.split(',').map((x) => x.trim()).filter(Boolean).map(parse);
      if (out.some((x) => x === null)) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return out as T[];
    });
const hostPorts = listOf('', parseHostPort, 'must be a comma list of host:port');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OpenTelemetry tracing is off unless this names an OTLP/HTTP collector (e.g. http://localhost:4318). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Prefix of the service name spans carry: `<name>-api`, `<name>-worker`. */
  OTEL_SERVICE_NAME: z.string().min(1).default('inferq'),
  /** HTTP port of the API. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  /** Redis connection; one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES when API and worker run apart. */
  REDIS_URL: z.string().url().optional(),
  /** Sentinels (`host:port,…`) that name the current primary of REDIS_SENTINEL_NAME; clients follow a failover. */
  REDIS_SENTINELS: hostPorts,
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Seed nodes (`host:port,…`) of a Redis Cluster; REDIS_PREFIX must then carry a hash tag, e.g. `{inferq}`. */
  REDIS_CLUSTER_NODES: hostPorts,
  /** ACL user, password and TLS for the Sentinel-managed or Cluster nodes (REDIS_URL carries its own). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Prefix of every Redis key inferq and BullMQ write, so several deployments (or tests) share one Redis. */
  REDIS_PREFIX: z.string().min(1).default('inferq'),
  /** Where the embedded Redis of `npm start` keeps its AOF. */
  DATA_DIR: z.string().default('.inferq'),
  MODEL_MANIFEST: z.string().default('models/manifest.json'),
  MODELS_DIR: z.string().default('models/cache'),
  /** A local folder to take model files from instead of their URLs (CI and air-gapped installs). */
  MODEL_MIRROR: z.string().optional(),
  DEFAULT_MODEL: z.string().default('mobilenetv2'),
  /** Models the worker loads; defaults to the default model alone. */
  MODELS: list,
  UPLOAD_DIR: z.string().default('.inferq/uploads'),
  /** Where uploaded images wait for a worker: `fs` (UPLOAD_DIR, shared by every process) or `s3` (a bucket). */
  STORAGE: z.enum(['fs', 's3']).default('fs'),
  /** An S3-compatible endpoint (MinIO, Ceph RGW, Swift); unset for AWS S3 itself. */
  S3_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Prepended to every object key (e.g. `inferq/`), so one bucket can hold several deployments. */
  S3_PREFIX: z.string().default(''),
  /** `true` for servers without virtual-hosted buckets (MinIO, Swift, most self-hosted stores). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** The longest one S3 request attempt may take, connect to answer (the SDK makes up to 3): a hung store fails. */
  S3_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** How long a worker keeps retrying an unreachable blob store before the job fails `blob_unavailable`. */
  BLOB_READ_RETRY_MS: durationMs(60_000),
  /** Bytes per uploaded image (default 10 MiB). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** Images one batch request (create or append) may carry; a 10,000-image batch arrives in many requests. */
  MAX_BATCH_FILES_PER_REQUEST: z.coerce.number().int().min(1).max(1000).default(100),
  /** Decoded pixels (width × height) an image may have; far below sharp's 268 M default so bombs fail fast. */
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(40_000_000),
  BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(256).default(8),
  /** How long the oldest waiting item may wait for a batch to fill, in ms. */
  BATCH_MAX_DELAY_MS: durationMs(10),
  /**
   * Run a partial batch at once when no other image is being decoded (an idle job pays no delay). Off: every
   * partial batch waits BATCH_MAX_DELAY_MS, for the largest batches (and for tests that need a held batch).
   */
  BATCH_FLUSH_WHEN_IDLE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** Jobs a worker holds at once; must be ≥ BATCH_MAX_SIZE or batches never fill. Default: 2 × batch size. */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /**
   * onnxruntime intra-op threads per worker. One per worker, and a worker per core, measured best here: a
   * second thread per session competes with sharp's decoders for the same cores.
   */
  INFERENCE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /** Worker processes `npm start` runs (default: one per core, at most 4). */
  STANDALONE_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Time a worker gets on SIGTERM to finish the jobs in hand before it exits anyway. */
  WORKER_SHUTDOWN_TIMEOUT_MS: durationMs(30_000),
  /** BullMQ lock: a job whose worker has not renewed it for this long is taken for stalled. */
  LOCK_DURATION_MS: durationMs(30_000),
  STALLED_INTERVAL_MS: durationMs(30_000),
  /** How many times a job may stall before it fails (a poison image that kills its worker). */
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(1),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  /** How long finished jobs (records, results) are kept, in seconds. */
  JOB_RETENTION_SECONDS: z.coerce.number().int().positive().default(86_400),
  /**
   * How long an answer is kept to serve the same image (same bytes, model version and label set) again without
   * the model, in seconds; 0 turns the result cache off.
   */
  RESULT_CACHE_SECONDS: z.coerce.number().int().min(0).default(3600),
  /** Seconds after which a worker that has not sent a heartbeat counts as gone (readiness). */
  WORKER_HEARTBEAT_TTL_SECONDS: z.coerce.number().int().positive().default(15),
  /** Longest `Prefer: wait` a client may ask for, and the default wait of `POST /predict`, in seconds. */
  MAX_WAIT_SECONDS: z.coerce.number().int().positive().max(600).default(60),
  PREDICT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(30),
  /** Interval of the comment line that keeps idle event streams (SSE) open through proxies, in ms. */
  SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).default(15_000),
  /** Origins browsers may call the API from: a comma list, or `*`; empty (default) sends no CORS headers. */
  CORS_ORIGINS: list,
  /** Standard Webhooks signing secret (`whsec_` + base64). Without one, a secret is generated once and kept in Redis. */
  WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
  /** A receiver that has not answered within this many ms counts as failed (and is retried). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Delays between attempts, e.g. `5s,5m,30m,2h`; attempts = entries + 1. Units: ms, s, m, h, d. */
  WEBHOOK_RETRY_SCHEDULE: listOf('5s,5m,30m,2h,5h,10h,14h,20h,24h', parseDuration, 'must be a comma list of durations like 300ms, 5s, 5m, 2h, 1d'),
  /** Hosts or IPs exempt from the SSRF guard (internal receivers, tests). */
  WEBHOOK_ALLOWED_HOSTS: list,
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(32),
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
  /** Requests per window per API key (per client IP when auth is off); 0 turns rate limiting off. */
  RATE_LIMIT_REQUESTS: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** Waiting jobs at which submissions get 503 `overloaded`; 0 turns backpressure off. */
  QUEUE_HIGH_WATER: z.coerce.number().int().min(0).default(50_000),
  /** Once overloaded, submissions are accepted again below this many waiting jobs (default 80 % of high water). */
  QUEUE_LOW_WATER: z.coerce.number().int().min(0).optional(),
  /** Test-only fault injection: a worker kills itself when it runs a batch holding an image with this sha256. */
  FAULT_CRASH_ON_SHA256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

/** `300ms`, `5s`, `5m`, `2h`, `1d` → milliseconds; a bare number is seconds. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` → {host, port}; null when it is neither. */
export function parseHostPort(s: string): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : 0;
  return m && port > 0 && port < 65536 ? { host: m[1] ?? m[2]!, port } : null;
}

/** Credentials and TLS for Sentinel-managed or Cluster nodes. */
export interface RedisAuth {
  username?: string;
  password?: string;
  sentinelPassword?: string;
  tls: boolean;
}

/** How to reach Redis: one server by URL, a Sentinel-guarded primary, or a Cluster. */
export type RedisSpec =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; auth: RedisAuth }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth };

export type Env = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  tracing: { otlpEndpoint?: string; serviceName: string };
  http: { port: number; host: string; maxWaitSeconds: number; predictTimeoutSeconds: number; sseKeepAliveMs: number; corsOrigins: string[] };
  /** `spec` is unset only when nothing was configured (`npm start` then finds or embeds a Redis); `url` mirrors a url spec. */
  redis: { url?: string; spec?: RedisSpec; prefix: string };
  dataDir: string;
  models: { manifest: string; dir: string; mirror?: string; default: string; served: string[] };
  uploads: { dir: string; maxBytes: number; maxPixels: number; maxBatchFiles: number };
  storage: { kind: 'fs' | 's3'; s3?: S3Settings; readRetryMs: number };
  batch: { maxSize: number; maxDelayMs: number; flushWhenIdle: boolean };
  worker: {
    concurrency: number;
    inferenceThreads: number;
    metricsPort: number;
    shutdownTimeoutMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
    attempts: number;
    heartbeatTtlSeconds: number;
  };
  retentionSeconds: number;
  resultCacheSeconds: number;
  standaloneWorkers: number;
  webhooks: { secret?: string; timeoutMs: number; retrySchedule: number[]; allowedHosts: string[]; concurrency: number };
  adminToken?: string;
  auth: { apiKeys: string[]; apiKeysFile?: string; metricsToken?: string };
  rateLimit: { requests: number; windowSeconds: number };
  backpressure: { highWater: number; lowWater: number };
  faults: { crashOnSha256?: string };
}

export interface S3Settings {
  endpoint?: string;
  bucket: string;
  region: string;
  prefix: string;
  forcePathStyle: boolean;
  timeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a frozen Config, or throws a ConfigError naming every bad key and value. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0]);
        return `${key}=${JSON.stringify(shown(key, env[key]))}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  const concurrency = e.WORKER_CONCURRENCY ?? e.BATCH_MAX_SIZE * 2;
  if (concurrency < e.BATCH_MAX_SIZE) {
    throw new ConfigError([
      `WORKER_CONCURRENCY=${concurrency}: must be ≥ BATCH_MAX_SIZE (${e.BATCH_MAX_SIZE}) or batches never fill`,
    ]);
  }
  if (e.STORAGE === 's3' && !e.S3_BUCKET) throw new ConfigError(['S3_BUCKET: required when STORAGE=s3']);
  const s3: S3Settings | undefined = e.STORAGE === 's3'
    ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET!, region: e.S3_REGION, prefix: e.S3_PREFIX, forcePathStyle: e.S3_FORCE_PATH_STYLE, timeoutMs: e.S3_TIMEOUT_MS }
    : undefined;
  const spec = redisSpec(e);
  const served = e.MODELS.length ? e.MODELS : [e.DEFAULT_MODEL];
  if (!served.includes(e.DEFAULT_MODEL)) served.unshift(e.DEFAULT_MODEL);
  const config: Config = {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
    http: {
      port: e.PORT, host: e.HOST, maxWaitSeconds: e.MAX_WAIT_SECONDS, predictTimeoutSeconds: e.PREDICT_TIMEOUT_SECONDS,
      sseKeepAliveMs: e.SSE_KEEPALIVE_MS, corsOrigins: e.CORS_ORIGINS,
    },
    redis: { url: e.REDIS_URL, spec, prefix: e.REDIS_PREFIX },
    dataDir: path.resolve(e.DATA_DIR),
    models: {
      manifest: path.resolve(e.MODEL_MANIFEST),
      dir: path.resolve(e.MODELS_DIR),
      mirror: e.MODEL_MIRROR ? path.resolve(e.MODEL_MIRROR) : undefined,
      default: e.DEFAULT_MODEL,
      served,
    },
    uploads: { dir: path.resolve(e.UPLOAD_DIR), maxBytes: e.MAX_UPLOAD_BYTES, maxPixels: e.MAX_IMAGE_PIXELS, maxBatchFiles: e.MAX_BATCH_FILES_PER_REQUEST },
    storage: { kind: e.STORAGE, s3, readRetryMs: e.BLOB_READ_RETRY_MS },
    batch: { maxSize: e.BATCH_MAX_SIZE, maxDelayMs: e.BATCH_MAX_DELAY_MS, flushWhenIdle: e.BATCH_FLUSH_WHEN_IDLE },
    worker: {
      concurrency,
      inferenceThreads: e.INFERENCE_THREADS,
      metricsPort: e.WORKER_METRICS_PORT,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
      lockDurationMs: e.LOCK_DURATION_MS,
      stalledIntervalMs: e.STALLED_INTERVAL_MS,
      maxStalledCount: e.MAX_STALLED_COUNT,
      attempts: e.JOB_ATTEMPTS,
      heartbeatTtlSeconds: e.WORKER_HEARTBEAT_TTL_SECONDS,
    },
    retentionSeconds: e.JOB_RETENTION_SECONDS,
    resultCacheSeconds: e.RESULT_CACHE_SECONDS,
    standaloneWorkers: e.STANDALONE_WORKERS ?? Math.min(4, os.availableParallelism()),
    webhooks: {
      secret: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS.map((h) => h.toLowerCase()),
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    adminToken: e.ADMIN_TOKEN,
    auth: { apiKeys: e.API_KEYS, apiKeysFile: e.API_KEYS_FILE ? path.resolve(e.API_KEYS_FILE) : undefined, metricsToken: e.METRICS_TOKEN },
    rateLimit: { requests: e.RATE_LIMIT_REQUESTS, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    backpressure: {
      highWater: e.QUEUE_HIGH_WATER,
      lowWater: Math.min(e.QUEUE_LOW_WATER ?? Math.floor(e.QUEUE_HIGH_WATER * 0.8), e.QUEUE_HIGH_WATER),
    },
    faults: { crashOnSha256: e.FAULT_CRASH_ON_SHA256 },
  };
  return deepFreeze(config);
}

/** The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next `}`, if not empty. */
export function hashTag(prefix: string): string | null {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : null;
}

function redisSpec(e: z.infer<typeof schema>): RedisSpec | undefined {
  const given = [e.REDIS_URL && 'REDIS_URL', e.REDIS_SENTINELS.length && 'REDIS_SENTINELS', e.REDIS_CLUSTER_NODES.length && 'REDIS_CLUSTER_NODES'].filter(Boolean);
  if (given.length > 1) throw new ConfigError([`${given.join(', ')}: set only one way to reach Redis`]);
  const auth: RedisAuth = { username: e.REDIS_USERNAME, password: e.REDIS_PASSWORD, sentinelPassword: e.REDIS_SENTINEL_PASSWORD, tls: e.REDIS_TLS };
  if (e.REDIS_URL) return { kind: 'url', url: e.REDIS_URL };
  if (e.REDIS_SENTINELS.length) {
    if (!e.REDIS_SENTINEL_NAME) throw new ConfigError(['REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor the primary by)']);
    return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, auth };
  }
  if (e.REDIS_CLUSTER_NODES.length) {
    // Refused here, before any connection: on an untagged prefix the first multi-key script would fail with
    // CROSSSLOT at run time, after jobs were half written.
    if (!hashTag(e.REDIS_PREFIX)) {
      throw new ConfigError([
        `REDIS_PREFIX=${JSON.stringify(e.REDIS_PREFIX)}: on a Redis Cluster the prefix must carry a hash tag, e.g. {${e.REDIS_PREFIX}}: ` +
          'BullMQ and inferq run Lua scripts over several keys at once, and a cluster runs a script only when all its keys ' +
          'hash to one slot; the tag puts every key of this deployment in one slot',
      ]);
    }
    return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, auth };
  }
  return undefined;
}

// A bad secret is named, never printed: config errors reach logs and terminals.
const SECRET_KEYS = new Set(['ADMIN_TOKEN', 'WEBHOOK_SECRET', 'METRICS_TOKEN', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD']);
function shown(key: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (SECRET_KEYS.has(key)) return '[redacted]';
  return key === 'REDIS_URL' ? value.replace(/\/\/[^@/]*@/, '//***@') : value;
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
