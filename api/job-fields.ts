import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { labelSetNamePattern } from '../shared/label-sets.js';
import { PRIORITY } from '../shared/queues.js';
import { MAX_DEADLINE_SECONDS, deadlineMs } from './cancel-after.js';

export const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.canceled', 'job.completed'] as const;
export const MAX_METADATA_BYTES = 2048;

/** The form fields of `POST /v1/jobs` and `/predict`, validated; multipart values arrive as strings. */
export interface JobFields {
  model?: string;
  topK: number;
  /** A label set of the model (checked against it at submit: 400 unknown_label_set). */
  labelSet: string | null;
  metadata: Record<string, unknown>;
  /** As sent; null (none sent) runs as PRIORITY.default. */
  priority: number | null;
  webhookUrl: string | null;
  webhookEvents: string[];
  /** How long from now the job may wait to start (`deadline_seconds` or `Cancel-After`); null: no deadline. */
  deadlineMs: number | null;
  /** False (`cache=false`): never answer from the result cache. */
  cache: boolean;
}

const intField = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`));

const schema = z.object({
  model: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'must be a model name').optional(),
  top_k: intField(1, 20).optional(),
  cache: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  label_set: z.string().regex(labelSetNamePattern, 'must be a label set name').optional(),
  priority: intField(PRIORITY.min, PRIORITY.max).optional(),
  deadline_seconds: intField(1, MAX_DEADLINE_SECONDS).optional(),
  metadata: z
    .string()
    .refine((s) => Buffer.byteLength(s) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes`)
    .transform((s, ctx) => {
      try {
        const v: unknown = JSON.parse(s);
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    })
    .optional(),
  webhook_url: z.string().max(2048, 'must be at most 2048 characters').optional(),
  webhook_events: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(WEBHOOK_EVENTS, { message: `each event must be one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1))
    .optional(),
});

/**
 * Validates the raw body fields (and the `Cancel-After` header, when given); a bad field is a 400
 * `invalid_field` naming the field and the reason.
 */
export function parseJobFields(body: unknown, cancelAfter?: string): JobFields {
  const raw = Object.fromEntries(
    Object.entries((body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
  );
  const r = schema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError('invalid_field', 400, msg);
  }
  const d = r.data;
  if (d.webhook_events && !d.webhook_url) throw new AppError('invalid_field', 400, 'webhook_events: needs webhook_url');
  return {
    model: d.model,
    topK: d.top_k ?? 5,
    labelSet: d.label_set ?? null,
    metadata: d.metadata ?? {},
    priority: d.priority ?? null,
    webhookUrl: d.webhook_url ?? null,
    webhookEvents: d.webhook_events ?? ['job.completed'],
    deadlineMs: deadlineMs(d.deadline_seconds, cancelAfter),
    cache: d.cache !== 'false',
  };
}
