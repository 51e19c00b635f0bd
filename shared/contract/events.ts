import { z } from 'zod';
import { BatchView } from './batch.js';
import { JobView } from './job.js';
import { named } from './registry.js';
import { webhookBody } from './webhooks.js';

/**
 * Server-Sent Events (`GET /v1/jobs/{id}/events`, `GET /v1/batches/{id}/events`): each event's `data` is one JSON
 * object, the job or the batch as `GET` shows it; the names tell where the stream is.
 */
export const JOB_EVENT_NAMES = ['status', 'end'] as const;
export const BATCH_EVENT_NAMES = ['status', 'progress', 'end'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];
export type BatchEventName = (typeof BATCH_EVENT_NAMES)[number];
/** Any stream's event name: what an event stream may send. */
export type SseEventName = JobEventName | BatchEventName;

export const JobWebhookBody = named('JobWebhookBody', webhookBody(JobView).meta({ description: 'A job event delivered to `webhook_url`.' }));
export const BatchWebhookBody = named(
  'BatchWebhookBody',
  webhookBody(BatchView).meta({ description: '`batch.completed` delivered to the batch\'s `webhook_url`.' }),
);
export type JobWebhookBody = z.infer<typeof JobWebhookBody>;
export type BatchWebhookBody = z.infer<typeof BatchWebhookBody>;
