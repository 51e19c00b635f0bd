import { AppError } from '../shared/errors.js';
import { jobFormValidator } from '../shared/contract/job-fields.js';
import { deadlineMs } from './cancel-after.js';

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

/**
 * Validates the raw body fields (and the `Cancel-After` header, when given) with the contract's form schema
 * (shared/contract/job-fields.ts); a bad field is a 400 `invalid_field` naming the field and the reason.
 */
export function parseJobFields(body: unknown, cancelAfter?: string): JobFields {
  const raw = Object.fromEntries(
    Object.entries((body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
  );
  const r = jobFormValidator.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError('invalid_field', msg);
  }
  const d = r.data;
  if (d.webhook_events && !d.webhook_url) throw new AppError('invalid_field', 'webhook_events: needs webhook_url');
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
