import { contractComponents } from './components.js';
import { batchPaths } from './batches.js';
import { eventPaths, webhooks } from './events.js';
import { jobPaths } from './jobs.js';
import { modelPaths, operationsPaths } from './operations.js';
import { headers, parameters, securitySchemes } from './parameters.js';

const description = [
  'Asynchronous image classification: upload an image, get a job, read its predictions.',
  '',
  '**Submit and poll.** `POST /v1/jobs` answers `202 Accepted` at once with the job and `Location: /v1/jobs/{id}`; poll `GET /v1/jobs/{id}` until `status` is `succeeded`, `failed` or `canceled`. Or send a `webhook_url` and be told.',
  '',
  '**Wait instead of polling.** With `Prefer: wait` (or `wait=N`, N capped at MAX_WAIT_SECONDS, default 60) the request is held until the job ends (`200`, the finished job) or the wait runs out (`202`, the job goes on). `POST /predict` always waits and answers with the predictions alone (`504 timeout` naming the job when the wait runs out).',
  '',
  '**Idempotency.** Send `Idempotency-Key` (≤ 255 characters) to retry safely: the same key with the same request within 24 h returns the same job, never a second one; the same key with a different request is `422 idempotency_mismatch`.',
  '',
  '**Follow live.** `GET /v1/jobs/{id}/events` and `GET /v1/batches/{id}/events` are Server-Sent Events streams (`text/event-stream`): the current state, each change, then `end`; resume with `Last-Event-ID`.',
  '',
  '**Auth.** With API_KEYS set, every `/v1`, `/predict` and `/info` request needs a key: `Authorization: Bearer <key>` or `X-API-Key: <key>` (else `401`). Operator endpoints take `Authorization: Bearer <ADMIN_TOKEN>`.',
  '',
  '**Browsers.** With CORS_ORIGINS set (a comma list of origins, or `*`), preflights are answered and `Location`, `X-Request-Id`, `Retry-After`, `ETag`, `Preference-Applied` and the `RateLimit-*` headers are exposed; without it no CORS headers are sent. Finished jobs carry `ETag` and `Cache-Control`, so `If-None-Match` gets `304`.',
  '',
  '**Errors.** Every 4xx/5xx answers `{"error": {"code", "message"}, "request_id"}` with a stable snake_case `code` (the `ErrorCode` schema lists them all; never a stack trace or an HTML page); an unknown route is `404 not_found`, a method a path does not take `405 method_not_allowed` with `Allow`. `429` and `503` carry `Retry-After`. Every response carries `X-Request-Id`, echoed when the client sent a usable one.',
  '',
  'JSON is snake_case; times are ISO-8601 UTC. This document is generated from the zod schemas in shared/contract.',
].join('\n');

/** The OpenAPI 3.1 document of the HTTP API, served at `/openapi.json` and rendered at `/docs`. */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'inferq', version: '1.0.0', description },
    servers: [{ url: '/' }],
    tags: [
      { name: 'jobs', description: 'One image, one classification: submit, poll or wait, cancel.' },
      { name: 'predict', description: 'The classic synchronous endpoint.' },
      { name: 'batches', description: 'Many images, one handle: live counts and downloadable results.' },
      { name: 'models', description: 'The served models and their preprocessing.' },
      { name: 'operations', description: 'Liveness, readiness and Prometheus metrics.' },
      { name: 'docs', description: 'This document and its interactive UI.' },
    ],
    paths: { ...jobPaths, ...batchPaths, ...eventPaths, ...modelPaths, ...operationsPaths },
    webhooks,
    components: { schemas: contractComponents(), headers, parameters, securitySchemes },
  };
}
