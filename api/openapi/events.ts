import { E, apiKeySecurity, errorResponse, guarded, ref, response, type Obj } from './responses.js';
import { batchIdParam, jobIdParam } from './parameters.js';
import { BATCH_EVENT_NAMES, JOB_EVENT_NAMES } from '../../shared/contract/constants.js';

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
      security: apiKeySecurity,
      parameters: [
        isJob ? jobIdParam : batchIdParam,
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'The `id` of the last event received, to resume after a cut.' },
      ],
      responses: {
        '200': response('The event stream.', {
          'text/event-stream': {
            schema: {
              type: 'string',
              description: `Events named ${(isJob ? JOB_EVENT_NAMES : BATCH_EVENT_NAMES).map((n) => `\`${n}\``).join(', ')}, each \`data\` a JSON ${isJob ? 'Job' : 'Batch'} (schema \`${isJob ? 'Job' : 'Batch'}\`).`,
            },
            example: isJob
              ? 'retry: 2000\n\nid: 1\nevent: status\ndata: {"id":"job_…","status":"queued",…}\n\nid: 2\nevent: status\ndata: {…"status":"processing"…}\n\nid: 3\nevent: status\ndata: {…"status":"succeeded"…}\n\nid: 4\nevent: end\ndata: {…"status":"succeeded"…}\n\n'
              : 'retry: 2000\n\nid: 1\nevent: status\ndata: {"id":"bat_…","counts":{…}}\n\nid: 2\nevent: progress\ndata: {…}\n\nid: 3\nevent: end\ndata: {…"status":"completed"…}\n\n',
          },
        }),
        '404': isJob ? E.jobNotFound : E.batchNotFound,
        '406': errorResponse(406, ['not_acceptable'], "The request's `Accept` excludes `text/event-stream`."),
        ...guarded,
      },
    },
  };
}

export const eventPaths: Obj = { '/v1/jobs/{id}/events': eventStream('job'), '/v1/batches/{id}/events': eventStream('batch') };

/** The webhook deliveries, as OpenAPI 3.1 `webhooks`: what a receiver is sent. */
export const webhooks: Obj = Object.fromEntries(
  (['job', 'batch'] as const).map((kind) => [
    kind === 'job' ? 'jobEvent' : 'batchCompleted',
    {
      post: {
        operationId: kind === 'job' ? 'jobWebhook' : 'batchWebhook',
        summary: kind === 'job' ? 'A job event, to the job\'s `webhook_url`' : '`batch.completed`, to the batch\'s `webhook_url`',
        description:
          'Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`; the secret from `GET /v1/webhooks/secret`). Retried on failure per WEBHOOK_RETRY_SCHEDULE; `410 Gone` stops the retries.',
        security: [],
        requestBody: { required: true, content: { 'application/json': { schema: ref(kind === 'job' ? 'JobWebhookBody' : 'BatchWebhookBody') } } },
        responses: { '200': { description: 'Any 2xx: delivered.' }, '410': { description: 'Gone: no more retries of this event.' } },
      },
    },
  ]),
);
