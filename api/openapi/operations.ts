import { E, apiKeySecurity, errorResponse, guarded, json, ref, response, type Obj } from './responses.js';

const adminErrors = {
  '401': errorResponse(401, ['unauthorized'], 'No bearer token was sent.'),
  '403': errorResponse(403, ['forbidden'], 'Wrong token, or the endpoint is off (its token is not configured).'),
};

export const modelPaths: Obj = {
  '/v1/models': {
    get: {
      tags: ['models'],
      operationId: 'listModels',
      summary: 'List the served models',
      security: apiKeySecurity,
      responses: { '200': response('The served models and the name of the default one.', json(ref('ModelList'))), ...guarded },
    },
  },
  '/v1/models/{name}': {
    get: {
      tags: ['models'],
      operationId: 'getModel',
      summary: 'Describe one model',
      security: apiKeySecurity,
      parameters: [ref('ModelName', 'parameters')],
      responses: {
        '200': response('The model.', json(ref('Model'))),
        '404': errorResponse(404, ['unknown_model'], 'No served model has this name.'),
        ...guarded,
      },
    },
  },
  '/info': {
    get: {
      tags: ['models'],
      operationId: 'getInfo',
      summary: 'Describe the default model (classic metadata endpoint)',
      security: apiKeySecurity,
      responses: { '200': response('The default model, plus `service: "inferq"`.', json(ref('Info'))), ...guarded },
    },
  },
};

export const operationsPaths: Obj = {
  '/v1/webhooks/secret': {
    get: {
      tags: ['operations'],
      operationId: 'getWebhookSecret',
      summary: 'The webhook signing secret (operators only)',
      description:
        'Answers the Standard Webhooks secret (`whsec_…`) receivers verify deliveries with: WEBHOOK_SECRET, or the one generated on first use and kept in Redis. Needs `Authorization: Bearer <ADMIN_TOKEN>`; off (403) when no ADMIN_TOKEN is configured.',
      security: [{ adminToken: [] }],
      responses: { '200': response('The secret.', json(ref('WebhookSecret'))), ...adminErrors, '500': E.internal, '503': E.unavailable },
    },
  },
  '/health': {
    get: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness',
      description: '`200` while the process answers; never touches Redis, so a Redis outage does not get the API restarted.',
      security: [],
      responses: { '200': response('The process is alive.', json(ref('Health'), { status: 'ok' })) },
    },
  },
  '/ready': {
    get: {
      tags: ['operations'],
      operationId: 'getReady',
      summary: 'Readiness',
      description:
        '`200` when Redis answers and at least one worker for the default model has sent a heartbeat recently; `503` with the reasons otherwise. With `workers=optional` only Redis is required (the readiness probe of APIs whose workers scale to zero).',
      security: [],
      parameters: [
        { name: 'workers', in: 'query', required: false, schema: { type: 'string', enum: ['required', 'optional'], default: 'required' }, description: '`optional`: ready without a live worker.' },
      ],
      responses: {
        '200': response('Ready to take work.', json(ref('Ready'), { status: 'ready', workers: 2, worker_metrics_ports: [9464, 9465] })),
        '503': response(
          'Not ready. The body has the reasons and, like other errors, an `error` (code `not_ready`).',
          json(ref('NotReady'), { status: 'not_ready', reasons: ['no live worker for model mobilenetv2'], error: { code: 'not_ready', message: 'no live worker for model mobilenetv2' } }),
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
      description:
        "The API process's own metrics (HTTP durations, jobs submitted, ...) and queue depth, in the Prometheus text exposition format. Each worker serves its own `/metrics` on its metrics port. With METRICS_TOKEN set it needs `Authorization: Bearer <METRICS_TOKEN>`.",
      security: [{ metricsToken: [] }, {}],
      responses: {
        '200': response('Prometheus text format (`text/plain; version=0.0.4`).', { 'text/plain': { schema: { type: 'string' }, example: '# HELP inferq_jobs_submitted_total ...\n' } }),
        ...adminErrors,
        '500': E.internal,
      },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['docs'],
      operationId: 'getOpenApi',
      summary: 'This OpenAPI document',
      security: [],
      responses: { '200': response('The OpenAPI 3.1 document, generated from the contract (shared/contract).', json({ type: 'object' })) },
    },
  },
  '/docs': {
    get: {
      tags: ['docs'],
      operationId: 'getDocs',
      summary: 'Interactive API documentation (Swagger UI)',
      security: [],
      responses: { '200': response('An HTML page rendering this document.', { 'text/html': { schema: { type: 'string' } } }) },
    },
  },
};
