import { z } from 'zod';
import { BatchView } from './batch.js';
import { JobView } from './job.js';
import { named } from './registry.js';
import { webhookBody } from './webhooks.js';

/** The webhook bodies (the SSE event names are plain values, in constants.ts). */
export const JobWebhookBody = named('JobWebhookBody', webhookBody(JobView).meta({ description: 'A job event delivered to `webhook_url`.' }));
export const BatchWebhookBody = named(
  'BatchWebhookBody',
  webhookBody(BatchView).meta({ description: '`batch.completed` delivered to the batch\'s `webhook_url`.' }),
);
export type JobWebhookBody = z.infer<typeof JobWebhookBody>;
export type BatchWebhookBody = z.infer<typeof BatchWebhookBody>;
