import { z } from 'zod';
import { isoTime } from './registry.js';

/** The events a job's `webhook_events` can name (`job.completed`: any terminal event). */
export const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'job.completed'] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** The `type` of a delivered event: a job's status change, or a batch that has ended. */
export const WEBHOOK_BODY_TYPES = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'batch.completed'] as const;
export type WebhookBodyType = (typeof WEBHOOK_BODY_TYPES)[number];

/**
 * The body of a webhook delivery (Standard Webhooks: signed with the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers). `data` is the job (`job.*`) or the batch (`batch.completed`) as `GET` shows it.
 */
export const webhookBody = <T extends z.ZodType>(data: T) =>
  z.object({ type: z.enum(WEBHOOK_BODY_TYPES), timestamp: isoTime, data });
