import { BATCH_ID_PATTERN, JOB_ID_PATTERN } from '../../shared/contract/registry.js';
import { ref, type Obj } from './responses.js';

export const idempotencyKey = ref('IdempotencyKey', 'parameters');
export const cancelAfter = ref('CancelAfter', 'parameters');
export const prefer = ref('Prefer', 'parameters');
export const jobIdParam = ref('JobId', 'parameters');
export const batchIdParam = ref('BatchId', 'parameters');

export const parameters: Obj = {
  JobId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: JOB_ID_PATTERN }, description: 'A job id (`job_` + ULID); anything else is 404.' },
  BatchId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: BATCH_ID_PATTERN }, description: 'A batch id (`bat_` + ULID); anything else is 404.' },
  ModelName: { name: 'name', in: 'path', required: true, schema: { type: 'string' }, example: 'mobilenetv2' },
  CancelAfter: {
    name: 'Cancel-After',
    in: 'header',
    required: false,
    schema: { type: 'string', pattern: '^(\\d+(ms|s|m|h))+$', example: '30s' },
    description: 'A deadline as a duration (`500ms`, `30s`, `5m`, `1m30s`; above 0, at most 7 days), the same as `deadline_seconds`; the earlier of the two applies.',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    description:
      'The same key with the same request (same image bytes, model and fields) within 24 h returns the same job instead of a second one; with a different request it is `422 idempotency_mismatch`; while the first is still being accepted, `409 idempotency_in_progress`.',
  },
  Prefer: {
    name: 'Prefer',
    in: 'header',
    required: false,
    schema: { type: 'string', example: 'wait=10' },
    description:
      '`wait` or `wait=N` (RFC 7240): hold the request until the job ends (`200`) or N seconds pass (`202`). N is capped at MAX_WAIT_SECONDS (default 60); a bare `wait` waits that long.',
  },
};

export const headers: Obj = {
  XRequestId: {
    description: "The request id: the client's `X-Request-Id` when it was 1–128 characters of `[A-Za-z0-9._:-]`, a new `req_...` id otherwise. Also in logs and error bodies.",
    schema: { type: 'string' },
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  WWWAuthenticate: { description: '`Bearer` (no credentials sent) or `Bearer error="invalid_token"`.', schema: { type: 'string' } },
  Location: { description: 'The URL of the created resource (`/v1/jobs/{id}`, `/v1/batches/{id}`).', schema: { type: 'string' } },
  PreferenceApplied: { description: '`wait=N` when a `Prefer: wait` was honoured (N after capping).', schema: { type: 'string' } },
};

export const securitySchemes: Obj = {
  bearerApiKey: { type: 'http', scheme: 'bearer', description: 'An API key (API_KEYS) as `Authorization: Bearer <key>`. Needed only when API keys are configured.' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in the `X-API-Key` header.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token (ADMIN_TOKEN) as `Authorization: Bearer <token>`; without ADMIN_TOKEN the operator endpoints answer 403.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN as `Authorization: Bearer <token>`, when set; without it `/metrics` is open.' },
};
