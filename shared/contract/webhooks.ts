import { z } from 'zod';
import { isoTime } from './registry.js';
import { WEBHOOK_BODY_TYPES } from './constants.js';

/**
 * The body of a webhook delivery (Standard Webhooks: signed with the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers). `data` is the job (`job.*`) or the batch (`batch.completed`) as `GET` shows it.
 */
export const webhookBody = <T extends z.ZodType>(data: T) =>
  z.object({ type: z.enum(WEBHOOK_BODY_TYPES), timestamp: isoTime, data });
