import { z } from 'zod';
import { named } from './registry.js';

export const Health = named('Health', z.object({ status: z.literal('ok') }));

export const Ready = named(
  'Ready',
  z.object({
    status: z.literal('ready'),
    workers: z.int().min(1).meta({ description: 'Workers of the default model with a recent heartbeat.' }),
    worker_metrics_ports: z
      .array(z.int())
      .optional()
      .meta({ description: 'The metrics ports those workers listen on (`npm start` gives a worker a free port when WORKER_METRICS_PORT + n is taken).' }),
  }),
);
export type Ready = z.infer<typeof Ready>;

export const NotReady = named(
  'NotReady',
  z.object({
    status: z.literal('not_ready'),
    reasons: z.array(z.string()).min(1),
    error: z.object({ code: z.literal('not_ready'), message: z.string() }),
  }),
);
export type NotReady = z.infer<typeof NotReady>;

export const WebhookSecret = named(
  'WebhookSecret',
  z.object({
    secret: z.string().meta({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
    source: z.enum(['config', 'generated']),
  }),
);
