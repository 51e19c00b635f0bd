/**
 * The OpenAPI 3.0.3 document of the HTTP API, written by hand to match what the routes really do (the routes are
 * the source of truth; tests/unit/openapi.test.ts fails when a registered route is missing here). Served at
 * `/openapi.json` and rendered at `/docs`. Batch endpoints are documented ahead of their implementation, from
 * the contract in API.md.
 */

type Obj = Record<string, unknown>;

const ref = (name: string, kind: 'schemas' | 'headers' | 'parameters' | 'responses' = 'schemas') => ({
  $ref: `#/components/${kind}/${name}`,
});
/** OpenAPI 3.0 ignores siblings of `$ref`, so a nullable reference goes through `allOf`. */
const nullableRef = (name: string, description?: string) => ({
  nullable: true,
  allOf: [ref(name)],
  ...(description ? { description } : {}),
});

const ID_CHARS = '[0-9A-HJKMNP-TV-Z]{26}';
const JOB_ID_PATTERN = `^job_${ID_CHARS}$`;
const BATCH_ID_PATTERN = `^bat_${ID_CHARS}$`;
const MODEL_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$';
const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'job.completed'];
const IMAGE_TYPES = 'image/jpeg, image/png, image/webp';

const requestIdHeader = { 'X-Request-Id': ref('XRequestId', 'headers') };

/** A response; every response carries `X-Request-Id`, and 429/503 also `Retry-After`. */
function response(description: string, content?: Obj, headers: Obj = {}): Obj {
  return { description, headers: { ...requestIdHeader, ...headers }, ...(content ? { content } : {}) };
}
const json = (schema: Obj, example?: unknown): Obj => ({
  'application/json': { schema, ...(example !== undefined ? { example } : {}) },
});

/** An error response: the `Error` body, with the stable codes this operation can answer with this status. */
function errorResponse(status: number, codes: string[], description: string): Obj {
  const retry = status === 429 || status === 503 ? { 'Retry-After': ref('RetryAfter', 'headers') } : {};
  const text = `${description} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`;
  return response(text, json(ref('Error'), { error: { code: codes[0], message: description }, request_id: 'req_01JABCDEFGHJKMNPQRSTVWXYZ0' }), retry);
}

const E = {
  badUpload: errorResponse(
    400,
    ['missing_image', 'invalid_field', 'too_many_files', 'unexpected_file', 'malformed_multipart', 'invalid_webhook_url', 'invalid_image_url', 'invalid_upload', 'unknown_label_set'],
    'A field is missing or malformed: no image, more than one file, a bad form field (the message names it), a bad Idempotency-Key, a webhook URL or an `image_url` the SSRF guard refuses (`invalid_image_url`: not http(s), credentials, a literal loopback/private/link-local address in any spelling, a localhost or single-label name), a truncated multipart body, or a `label_set` the model does not have.',
  ),
  idemConflict: errorResponse(409, ['idempotency_in_progress'], 'A request with this Idempotency-Key is still being accepted; retry after `Retry-After` seconds.'),
  tooLarge: errorResponse(413, ['payload_too_large', 'line_too_long', 'too_many_lines'], 'The image is over the upload limit (MAX_UPLOAD_BYTES, default 10 MiB), the form has too many parts, or a JSON-lines batch has a line over 8 KiB or more than MAX_BATCH_URL_LINES lines (the batch is then canceled).'),
  mediaType: errorResponse(415, ['unsupported_media_type'], `The bytes are not an accepted image type (${IMAGE_TYPES}); the type is decided by the bytes, never by the filename or Content-Type.`),
  badImage: errorResponse(
    422,
    ['invalid_image', 'image_too_large', 'idempotency_mismatch'],
    'The bytes claim an image that cannot be used (unreadable header, animated or multi-page, over MAX_IMAGE_PIXELS), or the Idempotency-Key was used with a different request.',
  ),
  rateLimited: errorResponse(429, ['rate_limited'], 'Rate limit for this key or IP (when rate limiting is enabled).'),
  unavailable: errorResponse(503, ['unavailable', 'overloaded'], 'The queue store (Redis) or the image store (S3) is unreachable, Redis is out of memory, or the queue is over its high-water mark.'),
  storage: errorResponse(507, ['insufficient_storage'], 'The upload store is full; try again later.'),
  internal: errorResponse(500, ['internal_error'], 'An unexpected error (never a stack trace).'),
  jobNotFound: errorResponse(404, ['not_found'], 'No job with this id, or it is past retention (JOB_RETENTION_SECONDS).'),
  batchNotFound: errorResponse(404, ['not_found'], 'No batch with this id, or it is past retention.'),
  unknownModel: errorResponse(
    404,
    ['unknown_model', 'not_found'],
    '`model` names no served model (`unknown_model`), or the job of a replayed Idempotency-Key has expired (`not_found`).',
  ),
  batchNotOpen: errorResponse(409, ['batch_not_open'], 'The batch is sealed or canceled; it takes no more images.'),
};

/** The errors of every endpoint that accepts images (`POST /v1/jobs`, `POST /predict`, batch uploads). */
const uploadErrors = {
  '400': E.badUpload,
  '404': E.unknownModel,
  '409': E.idemConflict,
  '413': E.tooLarge,
  '415': E.mediaType,
  '422': E.badImage,
  '429': E.rateLimited,
  '500': E.internal,
  '503': E.unavailable,
  '507': E.storage,
};

const jobFormFields: Obj = {
  model: {
    type: 'string',
    pattern: MODEL_NAME_PATTERN,
    description: 'A served model (see `GET /v1/models`); default: the configured default model.',
  },
  top_k: { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'How many predictions to return.' },
  label_set: {
    type: 'string',
    description: 'Also answer in one of the model\'s label sets (see `GET /v1/models/{name}`), e.g. `cats-vs-dogs`: `result.label_set` (and, on `/predict`, the top-level `prediction`). Unknown: `400 unknown_label_set`.',
    example: 'cats-vs-dogs',
  },
  cache: {
    type: 'string',
    enum: ['true', 'false'],
    default: 'true',
    description: '`false`: never answer from the result cache (run the model even for an image it has answered). With the cache on (RESULT_CACHE_SECONDS), the same bytes, model version and label set are answered at once: `200` with a finished job whose `result.cached` is true.',
  },
  metadata: {
    type: 'string',
    maxLength: 2048,
    description: 'A JSON object as a string, at most 2048 bytes (UTF-8); echoed back as the job\'s `metadata`.',
    example: '{"customer":"c_42"}',
  },
  priority: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'Queue priority, 0..10: higher runs sooner, FIFO within a level. Omitted: runs as 5 (the job shows `priority: null`). A batch item runs as 5, after the single jobs of level 5.',
    example: 8,
  },
  deadline_seconds: {
    type: 'integer',
    minimum: 1,
    maximum: 604800,
    description: 'A job not started this many seconds after it was accepted never runs: it ends `failed` with `error.code` `deadline_exceeded` (webhook `job.failed`). A job already running finishes. With `Cancel-After` too, the earlier deadline applies.',
    example: 30,
  },
  webhook_url: {
    type: 'string',
    format: 'uri',
    maxLength: 2048,
    description: 'http(s) URL, without credentials, to notify of the job\'s events (Standard Webhooks signatures).',
  },
  webhook_events: {
    type: 'string',
    description: `Comma-separated events, each one of ${WEBHOOK_EVENTS.map((e) => `\`${e}\``).join(', ')} (\`job.completed\` = any terminal event). Default \`job.completed\`. Needs \`webhook_url\`.`,
    example: 'job.succeeded,job.failed',
  },
};

const imageUrlField: Obj = {
  type: 'string',
  format: 'uri',
  maxLength: 2048,
  description:
    'Instead of a file: an http(s) URL the service fetches the image from, through the SSRF guard (public addresses only unless in OUTBOUND_ALLOWED_HOSTS, checked again at connect time and on every redirect), within MAX_UPLOAD_BYTES, IMAGE_FETCH_TIMEOUT_MS and IMAGE_FETCH_IDLE_MS. The job is accepted at once (`202`, `queued`) and fetched by the worker\'s fetch stage; a fetch that fails ends it `failed` with `fetch_failed` (or `unsupported_media_type`/`invalid_image`/`image_too_large` for bytes that are not a usable image).',
  example: 'https://images.example.com/dog.jpg',
};

const jobForm: Obj = {
  type: 'object',
  description: 'One of `image`, `file` or `image_url`.',
  anyOf: [{ required: ['image'] }, { required: ['file'] }, { required: ['image_url'] }],
  properties: {
    image: { type: 'string', format: 'binary', description: `The image (${IMAGE_TYPES}). Exactly one file per request.` },
    file: { type: 'string', format: 'binary', description: 'Alias of `image` (the field name of classic `/predict` APIs); send one of the two, not both.' },
    image_url: imageUrlField,
    ...jobFormFields,
  },
};

/** The JSON body of `POST /v1/jobs`: the form's fields with JSON types. */
const jobJson: Obj = {
  type: 'object',
  required: ['image_url'],
  properties: {
    image_url: imageUrlField,
    model: jobFormFields.model,
    top_k: jobFormFields.top_k,
    label_set: jobFormFields.label_set,
    webhook_url: jobFormFields.webhook_url,
    webhook_events: jobFormFields.webhook_events,
    metadata: { type: 'object', additionalProperties: true, description: 'Echoed back as the job\'s `metadata` (at most 2048 bytes as JSON).' },
    priority: jobFormFields.priority,
    deadline_seconds: jobFormFields.deadline_seconds,
    cache: { type: 'boolean', default: true, description: '`false`: never answer from the result cache.' },
  },
};
const imageEncoding = { image: { contentType: IMAGE_TYPES }, file: { contentType: IMAGE_TYPES } };

const idempotencyKey = ref('IdempotencyKey', 'parameters');
const cancelAfter = ref('CancelAfter', 'parameters');

const jobPaths: Obj = {
  '/v1/jobs': {
    post: {
      tags: ['jobs'],
      operationId: 'createJob',
      summary: 'Submit one image for classification',
      description:
        'Validates and stores the upload, records the job and enqueues it. Answers `202` with the job at once, or, with `Prefer: wait`, holds the request until the job ends (`200`) or the wait runs out (`202`, the job goes on). An Idempotency-Key replay of the same request returns the same job.',
      parameters: [idempotencyKey, ref('Prefer', 'parameters'), cancelAfter],
      requestBody: {
        required: true,
        content: { 'multipart/form-data': { schema: jobForm, encoding: imageEncoding }, 'application/json': { schema: jobJson } },
      },
      responses: {
        '200': response('The finished job: `Prefer: wait` was given and the job ended within the wait, or the result cache answered it at once (`result.cached`).', json(ref('Job')), {
          Location: ref('Location', 'headers'),
          'Preference-Applied': ref('PreferenceApplied', 'headers'),
        }),
        '202': response('Accepted: the job (queued, or still running after a `Prefer: wait` ran out). Poll `Location` (after `Retry-After` seconds) or follow `Location` + `/events`.', json(ref('Job')), {
          Location: ref('Location', 'headers'),
          'Preference-Applied': ref('PreferenceApplied', 'headers'),
          'Retry-After': { description: 'A polling hint: seconds before asking again (1).', schema: { type: 'integer', minimum: 0 } },
        }),
        ...uploadErrors,
      },
    },
  },
  '/v1/jobs/{id}': {
    get: {
      tags: ['jobs'],
      operationId: 'getJob',
      summary: 'Get a job',
      parameters: [ref('JobId', 'parameters'), { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'An `ETag` from an earlier answer: `304` when the job has not changed since.' }],
      responses: {
        '200': response('The job.', json(ref('Job')), {
          ETag: { description: 'A weak validator of this answer, for `If-None-Match`.', schema: { type: 'string' } },
          'Cache-Control': { description: '`private, max-age=60` once the job has ended (only webhook deliveries may still be added), `no-cache` before.', schema: { type: 'string' } },
        }),
        '304': response('Not modified since the `ETag` sent in `If-None-Match`.'),
        '404': E.jobNotFound,
        '500': E.internal,
        '503': E.unavailable,
      },
    },
  },
  '/v1/jobs/{id}/cancel': {
    post: {
      tags: ['jobs'],
      operationId: 'cancelJob',
      summary: 'Cancel a job that has not started',
      description: 'Only a `queued` job can be canceled; its upload is deleted.',
      parameters: [ref('JobId', 'parameters')],
      responses: {
        '200': response('The job, now in status `canceled`.', json(ref('Job'))),
        '404': E.jobNotFound,
        '409': errorResponse(409, ['not_cancelable'], 'The job is processing or has already ended.'),
        '500': E.internal,
        '503': E.unavailable,
      },
    },
  },
};

const predictPaths: Obj = {
  '/predict': {
    post: {
      tags: ['predict'],
      operationId: 'predict',
      summary: 'Classify one image synchronously (classic endpoint)',
      description:
        'The same form as `POST /v1/jobs`; always waits for the job (PREDICT_TIMEOUT_SECONDS, default 30 s). A wait that runs out is `504 timeout` whose `error.job_id` names the job, which goes on and can be polled. A job that failed answers with its own error code: `422` for `invalid_image`/`image_too_large`, `500` otherwise (`job_canceled` when it was canceled meanwhile); `error.job_id` names the job.',
      parameters: [idempotencyKey, cancelAfter],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: jobForm, encoding: imageEncoding }, 'application/json': { schema: jobJson } } },
      responses: {
        '200': response('The job succeeded.', json(ref('PredictResult'))),
        ...uploadErrors,
        '422': errorResponse(
          422,
          ['invalid_image', 'image_too_large', 'fetch_failed', 'idempotency_mismatch'],
          'The image cannot be used (at upload, or found by the worker, then with `error.job_id`), an `image_url` could not be fetched (`fetch_failed`, with `error.job_id`), or the Idempotency-Key was used with a different request.',
        ),
        '500': errorResponse(500, ['internal_error', 'job_canceled'], 'The job failed (its error code, with `error.job_id`), was canceled, or an unexpected error.'),
        '504': errorResponse(504, ['timeout'], 'No result within the wait; `error.job_id` names the job, which goes on.'),
      },
    },
  },
};

const modelPaths: Obj = {
  '/v1/models': {
    get: {
      tags: ['models'],
      operationId: 'listModels',
      summary: 'List the served models',
      responses: {
        '200': response('The served models and the name of the default one.', json(ref('ModelList'))),
        '500': E.internal,
      },
    },
  },
  '/v1/models/{name}': {
    get: {
      tags: ['models'],
      operationId: 'getModel',
      summary: 'Describe one model',
      parameters: [ref('ModelName', 'parameters')],
      responses: {
        '200': response('The model.', json(ref('Model'))),
        '404': errorResponse(404, ['unknown_model'], 'No served model has this name.'),
        '500': E.internal,
      },
    },
  },
  '/info': {
    get: {
      tags: ['models'],
      operationId: 'getInfo',
      summary: 'Describe the default model (classic metadata endpoint)',
      responses: {
        '200': response('The default model, plus `service: "inferq"`.', json(ref('Info'))),
        '500': E.internal,
      },
    },
  },
};

const operationsPaths: Obj = {
  '/v1/webhooks/secret': {
    get: {
      tags: ['operations'],
      operationId: 'getWebhookSecret',
      summary: 'The webhook signing secret (operators only)',
      description:
        'Answers the Standard Webhooks secret (`whsec_…`) receivers verify deliveries with: WEBHOOK_SECRET, or the one generated on first use and kept in Redis. Needs `Authorization: Bearer <ADMIN_TOKEN>`; off (403) when no ADMIN_TOKEN is configured.',
      responses: {
        '200': response('The secret.', json({ type: 'object', required: ['secret', 'source'], properties: { secret: { type: 'string', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, source: { type: 'string', enum: ['config', 'generated'] } } })),
        '401': errorResponse(401, ['unauthorized'], 'No bearer token was sent.'),
        '403': errorResponse(403, ['forbidden'], 'Wrong token, or operator endpoints are off (no ADMIN_TOKEN).'),
        '503': E.unavailable,
      },
    },
  },
  '/health': {
    get: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness',
      description: '`200` while the process answers; never touches Redis, so a Redis outage does not get the API restarted.',
      responses: {
        '200': response('The process is alive.', json(ref('Health'), { status: 'ok' })),
      },
    },
  },
  '/ready': {
    get: {
      tags: ['operations'],
      operationId: 'getReady',
      summary: 'Readiness',
      description:
        '`200` when Redis answers and at least one worker for the default model has sent a heartbeat recently; `503` with the reasons otherwise. With `workers=optional` only Redis is required (the readiness probe of APIs whose workers scale to zero).',
      parameters: [
        { name: 'workers', in: 'query', required: false, schema: { type: 'string', enum: ['required', 'optional'], default: 'required' }, description: '`optional`: ready without a live worker.' },
      ],
      responses: {
        '200': response('Ready to take work.', json(ref('Ready'), { status: 'ready', workers: 2, worker_metrics_ports: [9464, 9465] })),
        '503': response(
          'Not ready. The body has the reasons and, like other errors, an `error` (code `not_ready`).',
          json(ref('NotReady'), {
            status: 'not_ready',
            reasons: ['no live worker for model mobilenetv2'],
            error: { code: 'not_ready', message: 'no live worker for model mobilenetv2' },
          }),
          { 'Retry-After': ref('RetryAfter', 'headers') },
        ),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['operations'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description: 'The API process\'s own metrics (HTTP durations, jobs submitted, ...) and queue depth, in the Prometheus text exposition format. Each worker serves its own `/metrics` on its metrics port.',
      responses: {
        '200': response('Prometheus text format (`text/plain; version=0.0.4`).', {
          'text/plain': { schema: { type: 'string' }, example: '# HELP inferq_jobs_submitted_total ...\n' },
        }),
        '500': E.internal,
      },
    },
  },
};

const docsPaths: Obj = {
  '/openapi.json': {
    get: {
      tags: ['docs'],
      operationId: 'getOpenApi',
      summary: 'This OpenAPI document',
      responses: { '200': response('The OpenAPI 3.0.3 document.', json({ type: 'object' })) },
    },
  },
  '/docs': {
    get: {
      tags: ['docs'],
      operationId: 'getDocs',
      summary: 'Interactive API documentation (Swagger UI)',
      responses: { '200': response('An HTML page rendering this document.', { 'text/html': { schema: { type: 'string' } } }) },
    },
  },
};

const batchImagesForm: Obj = {
  type: 'object',
  required: ['images'],
  properties: {
    images: {
      type: 'array',
      items: { type: 'string', format: 'binary' },
      description: `One or more images (${IMAGE_TYPES}), each its own \`images\` part.`,
    },
  },
};
const batchImagesEncoding = { images: { contentType: IMAGE_TYPES } };
const batchDeadline: Obj = {
  ...(jobFormFields.deadline_seconds as Obj),
  description: 'Counted from the batch\'s creation, for every item however late it is appended: an item not started by then ends `failed` with `deadline_exceeded`. With `Cancel-After` too, the earlier applies.',
};
const batchOpen: Obj = {
  type: 'object',
  properties: {
    model: jobFormFields.model,
    top_k: jobFormFields.top_k,
    label_set: jobFormFields.label_set,
    cache: { type: 'boolean', default: true, description: '`false`: no item of the batch is answered from the result cache.' },
    webhook_url: jobFormFields.webhook_url,
    deadline_seconds: batchDeadline,
    metadata: { type: 'object', additionalProperties: true, description: 'Echoed back as the batch\'s `metadata` (at most 2048 bytes as JSON).' },
  },
};
const batchMultipart: Obj = {
  type: 'object',
  required: ['images'],
  properties: {
    ...(batchImagesForm.properties as Obj),
    model: jobFormFields.model,
    top_k: jobFormFields.top_k,
    label_set: jobFormFields.label_set,
    cache: jobFormFields.cache,
    webhook_url: jobFormFields.webhook_url,
    deadline_seconds: batchDeadline,
    metadata: jobFormFields.metadata,
  },
};
const batchId = ref('BatchId', 'parameters');
const batchRead = { '404': E.batchNotFound, '500': E.internal, '503': E.unavailable };

const batchPaths: Obj = {
  '/v1/batches': {
    post: {
      tags: ['batches'],
      operationId: 'createBatch',
      summary: 'Create a batch',
      description:
        'Either `multipart/form-data` with one or more `images` files (the batch is created and sealed at once), JSON to open an empty batch that `POST /v1/batches/{id}/images` fills and `POST /v1/batches/{id}/seal` closes, or `application/x-ndjson`: one `{"image_url", "metadata", "custom_id"}` object per line (the OpenAI Batch API\'s shape), the batch options in the query string. JSON lines are read as they arrive (never held whole), appended 500 at a time (all or none per chunk), and the batch is sealed at the end of the body; the answer\'s `lines` tells which lines were refused and why. If the body breaks off or is refused midway (`413`), the batch is canceled.',
      parameters: [
        idempotencyKey, cancelAfter,
        ...['model', 'top_k', 'label_set', 'cache', 'webhook_url', 'deadline_seconds', 'metadata'].map((name) => ({
          name, in: 'query', required: false, schema: name === 'deadline_seconds' ? batchDeadline : jobFormFields[name], description: `JSON lines only: the batch's \`${name}\` (the other bodies carry it in the body).`,
        })),
      ],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': { schema: batchMultipart, encoding: batchImagesEncoding },
          'application/json': { schema: batchOpen },
          'application/x-ndjson': {
            schema: { type: 'string', description: 'Lines of `{"image_url": "https://…", "custom_id": "a-1", "metadata": {…}}`; blank lines are skipped.' },
          },
        },
      },
      responses: {
        '201': response('The batch: `open` (JSON), or already sealed and `processing` (multipart, JSON lines; these carry `lines` too).', json(ref('Batch')), {
          Location: ref('Location', 'headers'),
        }),
        ...uploadErrors,
      },
    },
  },
  '/v1/batches/{id}': {
    get: {
      tags: ['batches'],
      operationId: 'getBatch',
      summary: 'Get a batch with live counts and progress',
      parameters: [batchId],
      responses: { '200': response('The batch.', json(ref('Batch'))), ...batchRead },
    },
  },
  '/v1/batches/{id}/images': {
    post: {
      tags: ['batches'],
      operationId: 'addBatchImages',
      summary: 'Append images to an open batch',
      description: 'As many calls as needed: a 10,000-image batch arrives in many requests.',
      parameters: [batchId],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: batchImagesForm, encoding: batchImagesEncoding } } },
      responses: {
        '200': response('The batch with its updated counts.', json(ref('Batch'))),
        ...uploadErrors,
        '404': E.batchNotFound,
        '409': E.batchNotOpen,
      },
    },
  },
  '/v1/batches/{id}/seal': {
    post: {
      tags: ['batches'],
      operationId: 'sealBatch',
      summary: 'Seal a batch: no more images',
      description: 'The batch completes (and `batch.completed` is sent) when it is sealed and every item has ended.',
      parameters: [batchId],
      responses: { '200': response('The sealed batch.', json(ref('Batch'))), '409': E.batchNotOpen, ...batchRead },
    },
  },
  '/v1/batches/{id}/results': {
    get: {
      tags: ['batches'],
      operationId: 'getBatchResults',
      summary: 'Stream the results of the items that have ended',
      description: 'One line per item that has ended; partial while the batch runs.',
      parameters: [
        batchId,
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' } },
      ],
      responses: {
        '200': response('The results, streamed.', {
          'application/x-ndjson': {
            schema: { type: 'string', description: 'One `BatchResult` JSON object per line.' },
          },
          'text/csv': {
            schema: { type: 'string', description: 'Header `job_id,filename,status,label,confidence,error_code`, then one row per item.' },
          },
        }),
        '400': errorResponse(400, ['invalid_field'], '`format` is neither `jsonl` nor `csv`.'),
        ...batchRead,
      },
    },
  },
  '/v1/batches/{id}/jobs': {
    get: {
      tags: ['batches'],
      operationId: 'listBatchJobs',
      summary: 'List the items of a batch, paginated',
      parameters: [
        batchId,
        { name: 'status', in: 'query', required: false, schema: ref('JobStatus'), description: 'Only items in this status.' },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next_cursor` of the previous page.' },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        '200': response('One page of items.', json(ref('BatchJobsPage'))),
        '400': errorResponse(400, ['invalid_field'], 'A bad `status`, `cursor` or `limit`.'),
        ...batchRead,
      },
    },
  },
  '/v1/batches/{id}/cancel': {
    post: {
      tags: ['batches'],
      operationId: 'cancelBatch',
      summary: 'Cancel every item not yet started',
      parameters: [batchId],
      responses: { '200': response('The batch, `canceled`.', json(ref('Batch'))), ...batchRead },
    },
  },
};

/** The two Server-Sent Events streams: the same framing, different objects and event names. */
function eventStream(kind: 'job' | 'batch'): Obj {
  const isJob = kind === 'job';
  const events = isJob
    ? '`status` (the job now, then once per change: started, each retry, ended), then `end` with the final job'
    : '`status` (the batch now), `progress` as its status or counts move (at most one every 250 ms), then `end` once every item has ended';
  return {
    get: {
      tags: [isJob ? 'jobs' : 'batches'],
      operationId: isJob ? 'getJobEvents' : 'getBatchEvents',
      summary: isJob ? 'Follow a job live (Server-Sent Events)' : 'Follow a batch live (Server-Sent Events)',
      description:
        `A \`text/event-stream\`: ${events}; then the server closes the stream. Each event's \`data\` is one JSON ${isJob ? '`Job`' : '`Batch`'}; ` +
        'ids count up (`id: N`): a client that reconnects with `Last-Event-ID` gets the current state again (ids go on from N+1), so a cut never hides the end. ' +
        'A comment line (`: keep-alive`) comes every SSE_KEEPALIVE_MS (15 s) while nothing changes. Browsers: `new EventSource(url)`, and `close()` it on `end` (or it reconnects).',
      parameters: [
        ref(isJob ? 'JobId' : 'BatchId', 'parameters'),
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'The `id` of the last event received, to resume after a cut.' },
      ],
      responses: {
        '200': response('The event stream.', {
          'text/event-stream': {
            schema: { type: 'string', description: `Events named ${isJob ? '`status`, `end`' : '`status`, `progress`, `end`'}, each \`data\` a JSON ${isJob ? 'Job' : 'Batch'}.` },
            example: isJob
              ? 'retry: 2000\n\nid: 1\nevent: status\ndata: {"id":"job_…","status":"queued",…}\n\nid: 2\nevent: status\ndata: {…"status":"processing"…}\n\nid: 3\nevent: status\ndata: {…"status":"succeeded"…}\n\nid: 4\nevent: end\ndata: {…"status":"succeeded"…}\n\n'
              : 'retry: 2000\n\nid: 1\nevent: status\ndata: {"id":"bat_…","counts":{…}}\n\nid: 2\nevent: progress\ndata: {…}\n\nid: 3\nevent: end\ndata: {…"status":"completed"…}\n\n',
          },
        }),
        '404': isJob ? E.jobNotFound : E.batchNotFound,
        '406': errorResponse(406, ['not_acceptable'], 'The request\'s `Accept` excludes `text/event-stream`.'),
        '429': E.rateLimited,
        '500': E.internal,
        '503': E.unavailable,
      },
    },
  };
}

const eventPaths: Obj = { '/v1/jobs/{id}/events': eventStream('job'), '/v1/batches/{id}/events': eventStream('batch') };

const isoTime = { type: 'string', format: 'date-time' };
const nullableTime = { type: 'string', format: 'date-time', nullable: true };

const schemas: Obj = {
  Error: {
    type: 'object',
    required: ['error', 'request_id'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: true,
        properties: {
          code: { type: 'string', pattern: '^[a-z0-9_]+$', description: 'Stable snake_case code; branch on this.' },
          message: { type: 'string', description: 'For humans; may change.' },
          job_id: { type: 'string', pattern: JOB_ID_PATTERN, description: 'The job concerned (`POST /predict` timeouts and failures).' },
        },
      },
      request_id: { type: 'string', description: 'Same as the `X-Request-Id` header.' },
    },
  },
  JobStatus: { type: 'string', enum: ['queued', 'processing', 'succeeded', 'failed', 'canceled'] },
  ModelRef: {
    type: 'object',
    required: ['name', 'version'],
    properties: { name: { type: 'string', example: 'mobilenetv2' }, version: { type: 'string', example: '12-int8' } },
  },
  Prediction: {
    type: 'object',
    required: ['label', 'class_id', 'confidence'],
    properties: {
      label: { type: 'string', example: 'malamute', description: 'The class label (the class id as a string when the labels file has none).' },
      class_id: { type: 'integer', minimum: 0, example: 249 },
      confidence: { type: 'number', minimum: 0, maximum: 1, example: 0.766, description: 'Probability (softmax applied where the model gives logits).' },
    },
  },
  Predictions: {
    type: 'array',
    items: ref('Prediction'),
    description: 'Sorted by confidence, descending (ties: lower class id first); at most `top_k` entries.',
  },
  Timings: {
    type: 'object',
    required: ['queue_ms', 'preprocess_ms', 'inference_ms', 'total_ms', 'batch_size'],
    properties: {
      queue_ms: { type: 'number', description: 'From acceptance to a worker starting it.' },
      preprocess_ms: { type: 'number', description: 'Decode, resize and normalise.' },
      inference_ms: { type: 'number', description: 'The model run over the batch this job was part of.' },
      total_ms: { type: 'number', description: 'From acceptance to the result.' },
      batch_size: { type: 'integer', minimum: 1, description: 'How many images shared the model run.' },
    },
  },
  JobInput: {
    type: 'object',
    required: ['filename', 'content_type', 'bytes', 'width', 'height', 'sha256'],
    description: 'For an `image_url` job, `url` is set and the rest is empty (`\'\'`, 0) until the image is fetched.',
    properties: {
      filename: { type: 'string', nullable: true, description: 'As the client named the upload.' },
      content_type: { type: 'string', enum: ['image/jpeg', 'image/png', 'image/webp', ''], description: 'Decided by the bytes.' },
      bytes: { type: 'integer', minimum: 0 },
      width: { type: 'integer', minimum: 0 },
      height: { type: 'integer', minimum: 0 },
      sha256: { type: 'string', pattern: '^([0-9a-f]{64})?$' },
      url: { type: 'string', format: 'uri', description: 'The `image_url` the image is fetched from.' },
    },
  },
  JobError: {
    type: 'object',
    required: ['code', 'message'],
    properties: { code: { type: 'string', example: 'invalid_image', description: 'E.g. `invalid_image`, `worker_crashed`, `deadline_exceeded` (not started by `deadline_at`).' }, message: { type: 'string' } },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['attempt', 'at', 'event', 'webhook_id', 'status_code', 'error', 'outcome', 'duration_ms'],
    properties: {
      attempt: { type: 'integer', minimum: 1 },
      at: isoTime,
      event: { type: 'string', example: 'job.succeeded' },
      webhook_id: { type: 'string', description: 'The `webhook-id` header; stable across retries of one event.' },
      status_code: { type: 'integer', nullable: true, description: 'The receiver\'s HTTP status; null when no answer came.' },
      error: { type: 'string', nullable: true },
      outcome: { type: 'string', example: 'delivered' },
      duration_ms: { type: 'number' },
    },
  },
  JobWebhook: {
    type: 'object',
    required: ['url', 'events', 'deliveries'],
    properties: {
      url: { type: 'string', format: 'uri' },
      events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENTS } },
      deliveries: { type: 'array', items: ref('WebhookDelivery') },
    },
  },
  Job: {
    type: 'object',
    description: 'One image, one classification. Fields are null until known.',
    required: [
      'id', 'status', 'model', 'created_at', 'started_at', 'completed_at', 'input', 'top_k', 'label_set', 'result', 'error', 'timings',
      'queue_position', 'batch_id', 'metadata', 'priority', 'deadline_at', 'attempts', 'webhook',
    ],
    properties: {
      id: { type: 'string', pattern: JOB_ID_PATTERN, example: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0' },
      status: ref('JobStatus'),
      model: ref('ModelRef'),
      created_at: isoTime,
      started_at: nullableTime,
      completed_at: nullableTime,
      input: ref('JobInput'),
      top_k: { type: 'integer', minimum: 1, maximum: 20 },
      label_set: { type: 'string', nullable: true, description: 'The label set asked for; its answer is `result.label_set`.' },
      result: {
        type: 'object',
        nullable: true,
        required: ['predictions'],
        properties: {
          predictions: ref('Predictions'),
          label_set: ref('LabelSetResult'),
          cached: { type: 'boolean', enum: [true], description: 'Present (true) when the answer came from the result cache, not a model run.' },
          cached_from: { type: 'string', pattern: JOB_ID_PATTERN, description: 'With `cached`: the job whose model run computed this answer.' },
        },
        description: 'Set when the job succeeded.',
      },
      error: nullableRef('JobError', 'Set when the job failed.'),
      timings: nullableRef('Timings', 'Set when the job ended.'),
      queue_position: { type: 'integer', minimum: 0, nullable: true, description: 'While queued: how many jobs are ahead of this one (0 = next); null otherwise. Higher priority first, single jobs of 5 and above before batch items, batches taking turns of 8 items (docs/api.md, Fair batches), then first come first served.' },
      custom_id: { type: 'string', description: 'Items of a JSON-lines batch: the line\'s `custom_id`, when it had one (absent otherwise).' },
      batch_id: { type: 'string', nullable: true, pattern: BATCH_ID_PATTERN },
      metadata: { type: 'object', additionalProperties: true, description: 'As submitted; `{}` when none.' },
      priority: { type: 'integer', minimum: 0, maximum: 10, nullable: true, description: 'As submitted (higher runs sooner); null when none was given, which runs as 5.' },
      deadline_at: { ...nullableTime, description: 'Not started by then, the job fails with `deadline_exceeded`; null without a deadline.' },
      attempts: { type: 'integer', minimum: 0, description: 'Runs started so far (retries after a crash or a transient failure count).' },
      webhook: nullableRef('JobWebhook', 'Set when the job was submitted with `webhook_url`.'),
    },
  },
  PredictResult: {
    type: 'object',
    required: ['prediction', 'confidence', 'probabilities', 'predictions', 'model', 'job_id', 'timings'],
    description: 'Also in the `{prediction, confidence, probabilities}` shape of a plain model API: the label set\'s answer when `label_set` was sent, else the top-1 label and the top-k labels\' probabilities.',
    properties: {
      prediction: { type: 'string', nullable: true, example: 'dog' },
      confidence: { type: 'number', nullable: true, minimum: 0, maximum: 1, example: 0.93 },
      probabilities: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 }, example: { cat: 0.01, dog: 0.93, other: 0.06 } },
      label_set: ref('LabelSetResult'),
      predictions: ref('Predictions'),
      model: ref('ModelRef'),
      job_id: { type: 'string', pattern: JOB_ID_PATTERN },
      timings: nullableRef('Timings'),
    },
  },
  LabelSetResult: {
    type: 'object',
    description: 'The answer in a label set\'s classes: probabilities summed over each group\'s member classes; every other class counts as `other`.',
    required: ['name', 'prediction', 'confidence', 'probabilities'],
    properties: {
      name: { type: 'string', example: 'cats-vs-dogs' },
      prediction: { type: 'string', example: 'dog' },
      confidence: { type: 'number', minimum: 0, maximum: 1, example: 0.93 },
      probabilities: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 }, example: { cat: 0.01, dog: 0.93, other: 0.06 } },
    },
  },
  Preprocessing: {
    type: 'object',
    required: ['resize', 'crop', 'channel_order', 'layout', 'scale', 'mean', 'std'],
    properties: {
      resize: { type: 'integer', minimum: 1, description: 'Shorter side after resizing, in pixels.' },
      crop: { type: 'integer', minimum: 1, description: 'Side of the square centre crop, in pixels.' },
      channel_order: { type: 'string', enum: ['RGB', 'BGR'] },
      layout: { type: 'string', enum: ['NCHW', 'NHWC'] },
      scale: { type: 'number', description: 'Raw 0..255 values are multiplied by this first.' },
      mean: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
      std: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
    },
  },
  Model: {
    type: 'object',
    required: [
      'name', 'version', 'task', 'description', 'default', 'input', 'output', 'preprocessing', 'labels_count', 'label_sets', 'sha256',
      'source', 'license', 'batching',
    ],
    properties: {
      name: { type: 'string', example: 'mobilenetv2' },
      version: { type: 'string', example: '12-int8' },
      task: { type: 'string', enum: ['classification'] },
      description: { type: 'string', nullable: true },
      default: { type: 'boolean', description: 'True for the model used when a request names none.' },
      input: {
        type: 'object',
        required: ['name', 'shape', 'layout', 'dtype'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' }, description: '-1 is the batch dimension.', example: [-1, 3, 224, 224] },
          layout: { type: 'string', enum: ['NCHW', 'NHWC'] },
          dtype: { type: 'string', enum: ['float32'] },
        },
      },
      output: {
        type: 'object',
        required: ['name', 'kind', 'num_classes'],
        properties: {
          name: { type: 'string' },
          kind: { type: 'string', enum: ['logits', 'probabilities'] },
          num_classes: { type: 'integer', minimum: 1 },
        },
      },
      preprocessing: ref('Preprocessing'),
      labels_count: { type: 'integer', minimum: 1 },
      label_sets: {
        type: 'array',
        description: 'The groupings a request can ask for with `label_set`.',
        items: {
          type: 'object',
          required: ['name', 'classes', 'groups'],
          properties: {
            name: { type: 'string', example: 'cats-vs-dogs' },
            classes: { type: 'array', items: { type: 'string' }, example: ['cat', 'dog', 'other'] },
            groups: { type: 'object', additionalProperties: { type: 'array', items: { oneOf: [{ type: 'integer' }, { type: 'string' }] } }, description: 'Group → class ids or inclusive ranges "a-b".', example: { cat: ['281-285'], dog: ['151-268'] } },
          },
        },
      },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Of the model file.' },
      source: { type: 'string', nullable: true },
      license: { type: 'string', nullable: true },
      batching: {
        type: 'object',
        required: ['max_batch_size', 'max_delay_ms'],
        properties: {
          max_batch_size: { type: 'integer', minimum: 1 },
          max_delay_ms: { type: 'integer', minimum: 0, description: 'How long the oldest item may wait for a batch to fill.' },
        },
      },
    },
  },
  ModelList: {
    type: 'object',
    required: ['data', 'default'],
    properties: {
      data: { type: 'array', items: ref('Model') },
      default: { type: 'string', description: 'Name of the default model.' },
    },
  },
  Info: {
    allOf: [
      ref('Model'),
      { type: 'object', required: ['service'], properties: { service: { type: 'string', enum: ['inferq'] } } },
    ],
  },
  Health: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
  Ready: {
    type: 'object',
    required: ['status', 'workers'],
    properties: {
      status: { type: 'string', enum: ['ready'] },
      workers: { type: 'integer', minimum: 1, description: 'Workers of the default model with a recent heartbeat.' },
      worker_metrics_ports: {
        type: 'array',
        items: { type: 'integer' },
        description: "The metrics ports those workers listen on (`npm start` gives a worker a free port when WORKER_METRICS_PORT + n is taken).",
      },
    },
  },
  NotReady: {
    type: 'object',
    required: ['status', 'reasons', 'error'],
    properties: {
      status: { type: 'string', enum: ['not_ready'] },
      reasons: { type: 'array', items: { type: 'string' }, minItems: 1 },
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: ['not_ready'] }, message: { type: 'string' } },
      },
    },
  },
  BatchCounts: {
    type: 'object',
    required: ['total', 'queued', 'processing', 'succeeded', 'failed', 'canceled'],
    properties: Object.fromEntries(
      ['total', 'queued', 'processing', 'succeeded', 'failed', 'canceled'].map((k) => [k, { type: 'integer', minimum: 0 }]),
    ),
  },
  Batch: {
    type: 'object',
    description: 'Many images, one handle.',
    required: ['id', 'status', 'counts', 'progress', 'eta_seconds', 'created_at', 'completed_at', 'model', 'metadata'],
    properties: {
      id: { type: 'string', pattern: BATCH_ID_PATTERN, example: 'bat_01JABCDEFGHJKMNPQRSTVWXYZ0' },
      status: { type: 'string', enum: ['open', 'processing', 'completed', 'canceled'] },
      counts: ref('BatchCounts'),
      progress: { type: 'number', minimum: 0, maximum: 1, description: 'Share of the items that have ended.', example: 0.42 },
      eta_seconds: { type: 'number', nullable: true, minimum: 0, description: 'Estimated time to completion; null when unknown.' },
      created_at: isoTime,
      completed_at: nullableTime,
      model: ref('ModelRef'),
      label_set: { type: 'string', nullable: true, description: 'The label set every item answers in too.' },
      metadata: { type: 'object', additionalProperties: true },
      deadline_at: { ...nullableTime, description: 'Items not started by then fail with `deadline_exceeded`; null without a deadline.' },
      lines: {
        type: 'object',
        description: 'Only in the answer to a JSON-lines create: what became of its lines.',
        required: ['accepted', 'refused', 'refused_lines'],
        properties: {
          accepted: { type: 'integer', minimum: 0 },
          refused: { type: 'integer', minimum: 0 },
          refused_lines: {
            type: 'array',
            maxItems: 1000,
            description: 'The first 1000 refused lines (`refused` counts them all).',
            items: {
              type: 'object',
              required: ['line', 'code', 'message'],
              properties: { line: { type: 'integer', minimum: 1, description: '1-based line number.' }, code: { type: 'string', enum: ['invalid_line', 'invalid_image_url'] }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  },
  BatchResult: {
    type: 'object',
    description: 'One line of `GET /v1/batches/{id}/results?format=jsonl`.',
    required: ['job_id', 'filename', 'status', 'label', 'confidence', 'predictions', 'error_code'],
    properties: {
      job_id: { type: 'string', pattern: JOB_ID_PATTERN },
      filename: { type: 'string', nullable: true },
      status: ref('JobStatus'),
      label: { type: 'string', nullable: true, description: 'Top-1 label.' },
      confidence: { type: 'number', nullable: true, minimum: 0, maximum: 1, description: 'Top-1 confidence.' },
      predictions: { type: 'array', items: ref('Prediction') },
      label_set: ref('LabelSetResult'),
      error_code: { type: 'string', nullable: true },
      image_url: { type: 'string', format: 'uri', description: 'Items of a JSON-lines batch: the URL the image came from.' },
      custom_id: { type: 'string', description: 'Items of a JSON-lines batch: the line\'s `custom_id`, when it had one.' },
    },
  },
  BatchJobsPage: {
    type: 'object',
    required: ['data', 'next_cursor'],
    properties: {
      data: { type: 'array', items: ref('Job') },
      next_cursor: { type: 'string', nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' },
    },
  },
};

const components: Obj = {
  schemas,
  headers: {
    XRequestId: {
      description: 'The request id: the client\'s `X-Request-Id` when it was 1–128 characters of `[A-Za-z0-9._:-]`, a new `req_...` id otherwise. Also in logs and error bodies.',
      schema: { type: 'string' },
    },
    RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
    Location: { description: 'The URL of the created resource (`/v1/jobs/{id}`, `/v1/batches/{id}`).', schema: { type: 'string' } },
    PreferenceApplied: { description: '`wait=N` when a `Prefer: wait` was honoured (N after capping).', schema: { type: 'string' } },
  },
  parameters: {
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
  },
};

export function openApiDocument(): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'inferq',
      version: '1.0.0',
      description: [
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
        '**Browsers.** With CORS_ORIGINS set (a comma list of origins, or `*`), preflights are answered and `Location`, `X-Request-Id`, `Retry-After`, `ETag`, `Preference-Applied` and the `RateLimit-*` headers are exposed; without it no CORS headers are sent. Finished jobs carry `ETag` and `Cache-Control`, so `If-None-Match` gets `304`.',
        '',
        '**Errors.** Every 4xx/5xx answers `{"error": {"code", "message"}, "request_id"}` with a stable snake_case `code` (never a stack trace or an HTML page); an unknown route is `404 not_found`, a method a path does not take `405 method_not_allowed` with `Allow`. `429` and `503` carry `Retry-After`. Every response carries `X-Request-Id`, echoed when the client sent a usable one.',
        '',
        'JSON is snake_case; times are ISO-8601 UTC.',
      ].join('\n'),
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'jobs', description: 'One image, one classification: submit, poll or wait, cancel.' },
      { name: 'predict', description: 'The classic synchronous endpoint.' },
      { name: 'batches', description: 'Many images, one handle: live counts and downloadable results.' },
      { name: 'models', description: 'The served models and their preprocessing.' },
      { name: 'operations', description: 'Liveness, readiness and Prometheus metrics.' },
      { name: 'docs', description: 'This document and its interactive UI.' },
    ],
    paths: { ...jobPaths, ...predictPaths, ...batchPaths, ...eventPaths, ...modelPaths, ...operationsPaths, ...docsPaths },
    components,
  };
}
