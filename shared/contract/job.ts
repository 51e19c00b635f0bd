import { z } from 'zod';
import { LabelSetResult, Predictions } from './prediction.js';
import { batchId, count, isoTime, jobId, metadata, ModelRef, named } from './registry.js';
import { JOB_STATUSES, WEBHOOK_EVENTS } from './constants.js';

export const JobStatus = named('JobStatus', z.enum(JOB_STATUSES));
export type JobStatus = z.infer<typeof JobStatus>;

export const JobInput = named(
  'JobInput',
  z
    .object({
      filename: z.string().nullable().meta({ description: 'As the client named the upload.' }),
      content_type: z.string().meta({ enum: ['image/jpeg', 'image/png', 'image/webp', ''], description: 'Decided by the bytes.' }),
      bytes: count,
      width: count,
      height: count,
      sha256: z.string().regex(/^([0-9a-f]{64})?$/),
      url: z.string().optional().meta({ format: 'uri', description: 'The `image_url` the image was fetched from.' }),
    })
    .meta({ description: "For an `image_url` job, `url` is set and the rest is empty (`''`, 0) until the image is fetched." }),
);
export type JobInput = z.infer<typeof JobInput>;

export const JobTimings = named(
  'Timings',
  z.object({
    queue_ms: z.number().meta({ description: 'From acceptance to a worker starting it.' }),
    preprocess_ms: z.number().meta({ description: 'Decode, resize and normalise.' }),
    inference_ms: z.number().meta({ description: 'The model run over the batch this job was part of.' }),
    total_ms: z.number().meta({ description: 'From acceptance to the result.' }),
    batch_size: z.int().min(1).meta({ description: 'How many images shared the model run.' }),
  }),
);
export type JobTimings = z.infer<typeof JobTimings>;

export const JobError = named(
  'JobError',
  z.object({
    // A string, not the ErrorCode union: a stored job's code is read back as written (records of older versions).
    code: z.string().meta({ example: 'invalid_image' }),
    message: z.string(),
  }).meta({ description: 'Why the job failed: e.g. `invalid_image`, `worker_crashed`, `deadline_exceeded` (not started by `deadline_at`).' }),
);
export type JobError = z.infer<typeof JobError>;

export const WebhookDelivery = named(
  'WebhookDelivery',
  z.object({
    attempt: z.int().min(1),
    at: isoTime,
    event: z.string().meta({ example: 'job.succeeded' }),
    webhook_id: z.string().meta({ description: 'The `webhook-id` header; stable across retries of one event.' }),
    status_code: z.int().nullable().meta({ description: "The receiver's HTTP status; null when no answer came." }),
    error: z.string().nullable(),
    outcome: z.string().meta({ example: 'delivered' }),
    duration_ms: z.number(),
  }),
);
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const JobWebhook = named(
  'JobWebhook',
  z.object({ url: z.string().meta({ format: 'uri' }), events: z.array(z.string().meta({ enum: [...WEBHOOK_EVENTS] })), deliveries: z.array(WebhookDelivery) }),
);

export const JobResult = named(
  'JobResult',
  z
    .object({
      predictions: Predictions,
      label_set: LabelSetResult.optional(),
      cached: z.literal(true).optional().meta({ description: 'Present (true) when the answer came from the result cache, not a model run.' }),
      cached_from: jobId.optional().meta({ description: 'With `cached`: the job whose model run computed this answer.' }),
    })
    .meta({ description: 'Set when the job succeeded.' }),
);
export type JobResult = z.infer<typeof JobResult>;

/** What a client sees: `GET /v1/jobs/{id}`. */
export const JobView = named(
  'Job',
  z
    .object({
      id: jobId,
      status: JobStatus,
      model: ModelRef,
      created_at: isoTime,
      started_at: isoTime.nullable(),
      completed_at: isoTime.nullable(),
      input: JobInput,
      top_k: z.int().min(1).max(20),
      label_set: z.string().nullable().meta({ description: 'The label set asked for; its answer is `result.label_set`.' }),
      result: JobResult.nullable(),
      error: JobError.nullable().meta({ description: 'Set when the job failed.' }),
      timings: JobTimings.nullable().meta({ description: 'Set when the job ended.' }),
      queue_position: count.nullable().meta({
        description:
          'While queued: how many jobs are ahead of this one (0 = next); null otherwise. Higher priority first, single jobs of 5 and above before batch items, batches taking turns of 8 items (docs/api.md, Fair batches), then first come first served.',
      }),
      batch_id: batchId.nullable(),
      metadata: metadata.meta({ description: 'As submitted; `{}` when none.' }),
      priority: z.int().min(0).max(10).nullable().meta({ description: 'As submitted (higher runs sooner); null when none was given, which runs as 5.' }),
      deadline_at: isoTime.nullable().meta({ description: 'Not started by then, the job fails with `deadline_exceeded`; null without a deadline.' }),
      attempts: count.meta({ description: 'Runs started so far (retries after a crash or a transient failure count).' }),
      webhook: JobWebhook.nullable().meta({ description: 'Set when the job was submitted with `webhook_url`.' }),
      custom_id: z.string().optional().meta({ description: "Items of a JSON-lines batch: the line's `custom_id`, when it had one (absent otherwise)." }),
    })
    .meta({ description: 'One image, one classification. Fields are null until known.' }),
);
export type JobView = z.infer<typeof JobView>;
