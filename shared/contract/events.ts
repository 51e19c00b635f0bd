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
export const JobEventName = z.enum(JOB_EVENT_NAMES);
export const BatchEventName = z.enum(BATCH_EVENT_NAMES);
export type JobEventName = z.infer<typeof JobEventName>;
export type BatchEventName = z.infer<typeof BatchEventName>;
/** The `data` of a job stream's events, and of a batch stream's. */
export const JobEventData = JobView;
export const BatchEventData = BatchView;

export const JobWebhookBody = named('JobWebhookBody', webhookBody(JobView).meta({ description: 'A job event delivered to `webhook_url`.' }));
export const BatchWebhookBody = named(
  'BatchWebhookBody',
  webhookBody(BatchView).meta({ description: '`batch.completed` delivered to the batch\'s `webhook_url`.' }),
);
export type JobWebhookBody = z.infer<typeof JobWebhookBody>;
export type BatchWebhookBody = z.infer<typeof BatchWebhookBody>;
