import { z } from 'zod';
import { labelSetNamePattern } from '../label-sets.js';
import { metadata, MODEL_NAME_PATTERN, named } from './registry.js';
import { IMAGE_TYPES, MAX_DEADLINE_SECONDS, MAX_METADATA_BYTES, PRIORITY, WEBHOOK_EVENTS } from './constants.js';

const between = (min: number, max: number) => `must be between ${min} and ${max}`;
const int = (min: number, max: number) => z.int().min(min, between(min, max)).max(max, between(min, max));

/** The fields of `POST /v1/jobs` and `/predict` as typed values (what the JSON body carries). */
export const jobField = {
  model: z
    .string()
    .regex(MODEL_NAME_PATTERN, 'must be a model name')
    .meta({ description: 'A served model (see `GET /v1/models`); default: the configured default model.' }),
  top_k: int(1, 20).meta({ default: 5, description: 'How many predictions to return.' }),
  label_set: z.string().regex(labelSetNamePattern, 'must be a label set name').meta({
    description:
      "Also answer in one of the model's label sets (see `GET /v1/models/{name}`), e.g. `cats-vs-dogs`: `result.label_set` (and, on `/predict`, the top-level `prediction`). Unknown: `400 unknown_label_set`.",
    example: 'cats-vs-dogs',
  }),
  priority: int(PRIORITY.min, PRIORITY.max).meta({
    description:
      'Queue priority, 0..10: higher runs sooner, FIFO within a level. Omitted: runs as 5 (the job shows `priority: null`). A batch item runs as 5, after the single jobs of level 5.',
    example: 8,
  }),
  deadline_seconds: int(1, MAX_DEADLINE_SECONDS).meta({
    description:
      'A job not started this many seconds after it was accepted never runs: it ends `failed` with `error.code` `deadline_exceeded` (webhook `job.failed`). A job already running finishes. With `Cancel-After` too, the earlier deadline applies.',
    example: 30,
  }),
  webhook_url: z.string().max(2048, 'must be at most 2048 characters').meta({
    format: 'uri',
    description: "http(s) URL, without credentials, to notify of the job's events (Standard Webhooks signatures).",
  }),
  webhook_events: z.string().meta({
    description: `Comma-separated events, each one of ${WEBHOOK_EVENTS.map((e) => `\`${e}\``).join(', ')} (\`job.completed\` = any terminal event). Default \`job.completed\`. Needs \`webhook_url\`.`,
    example: 'job.succeeded,job.failed',
  }),
  image_url: z.string().max(2048).meta({
    format: 'uri',
    description:
      "Instead of a file: an http(s) URL the service fetches the image from, through the SSRF guard (public addresses only unless in OUTBOUND_ALLOWED_HOSTS, checked again at connect time and on every redirect), within MAX_UPLOAD_BYTES, IMAGE_FETCH_TIMEOUT_MS and IMAGE_FETCH_IDLE_MS. The job is accepted at once (`202`, `queued`) and fetched by the worker's fetch stage; a fetch that fails ends it `failed` with `fetch_failed` (or `unsupported_media_type`/`invalid_image`/`image_too_large` for bytes that are not a usable image).",
    example: 'https://images.example.com/dog.jpg',
  }),
};

/** How the form carries the two fields whose JSON type is not a string. */
const formOnly = {
  cache: z.enum(['true', 'false'], { message: 'must be true or false' }).meta({
    default: 'true',
    description:
      '`false`: never answer from the result cache (run the model even for an image it has answered). With the cache on (RESULT_CACHE_SECONDS), the same bytes, model version and label set are answered at once: `200` with a finished job whose `result.cached` is true.',
  }),
  metadata: z.string().meta({
    maxLength: MAX_METADATA_BYTES,
    description: "A JSON object as a string, at most 2048 bytes (UTF-8); echoed back as the job's `metadata`.",
    example: '{"customer":"c_42"}',
  }),
};
const jsonOnly = {
  cache: z.boolean().meta({ default: true, description: '`false`: never answer from the result cache.' }),
  metadata: metadata.meta({ description: "Echoed back as the job's `metadata` (at most 2048 bytes as JSON)." }),
};

const image = (description: string) => z.file().meta({ description });
const imageTypes = IMAGE_TYPES.join(', ');
const { image_url, ...options } = jobField;

/** The multipart form of `POST /v1/jobs` and `/predict`: one of `image`, `file` or `image_url`. */
export const JobForm = named(
  'JobForm',
  z
    .object({
      image: image(`The image (${imageTypes}). Exactly one file per request.`).optional(),
      file: image('Alias of `image` (the field name of classic `/predict` APIs); send one of the two, not both.').optional(),
      image_url: image_url.optional(),
      ...z.object(options).partial().shape,
      ...z.object(formOnly).partial().shape,
    })
    .meta({ description: 'One of `image`, `file` or `image_url`.', anyOf: [{ required: ['image'] }, { required: ['file'] }, { required: ['image_url'] }] }),
);

/** The JSON body of `POST /v1/jobs` and `/predict`: the form's fields with JSON types, the image by URL. */
export const JobJson = named(
  'JobJson',
  z.object({ image_url, ...z.object(options).partial().shape, ...z.object(jsonOnly).partial().shape }),
);
export type JobJson = z.infer<typeof JobJson>;

const batchDeadline = jobField.deadline_seconds.meta({
  description:
    "Counted from the batch's creation, for every item however late it is appended: an item not started by then ends `failed` with `deadline_exceeded`. With `Cancel-After` too, the earlier applies.",
});
const batchOptions = {
  model: jobField.model,
  top_k: jobField.top_k,
  label_set: jobField.label_set,
  webhook_url: jobField.webhook_url,
  deadline_seconds: batchDeadline,
};
const images = z.array(image(`An image (${imageTypes}).`)).min(1).meta({ description: 'One or more images, each its own `images` part.' });

/** `POST /v1/batches` as JSON: opens an empty batch. */
export const BatchOpen = named(
  'BatchOpen',
  z.object({ ...z.object(batchOptions).partial().shape, ...z.object(jsonOnly).partial().shape }),
);
/** `POST /v1/batches` as multipart: the images and the options, created and sealed at once. */
export const BatchForm = named(
  'BatchForm',
  z.object({ images, ...z.object(batchOptions).partial().shape, ...z.object(formOnly).partial().shape }),
);
/** `POST /v1/batches/{id}/images`. */
export const BatchImagesForm = named('BatchImagesForm', z.object({ images }));
/** The query options of a JSON-lines `POST /v1/batches` (the other bodies carry them in the body). */
export const batchQueryOptions = { ...batchOptions, cache: formOnly.cache, metadata: formOnly.metadata };

/** One line of a JSON-lines batch (the OpenAI Batch API's shape cut to what an image job needs). */
export const BatchUrlLine = named(
  'BatchUrlLine',
  z.object({
    image_url: z.string({ message: 'image_url: required, a string' }),
    metadata: z
      .record(z.string(), z.unknown(), { message: 'metadata: must be a JSON object' })
      .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata: must be at most ${MAX_METADATA_BYTES} bytes`)
      .optional(),
    custom_id: z.string().min(1, 'custom_id: must not be empty').max(256, 'custom_id: must be at most 256 characters').optional(),
  }),
);

/** A whole number sent as text (multipart values are strings), then checked as the typed field. */
const formInt = (field: ReturnType<typeof int>) => z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(field);

/**
 * The form fields as the server validates them: every value a string (a JSON body's values are turned into the
 * strings a form would carry, api/http/form-fields.ts), checked against the same typed fields as above.
 */
export const jobFormValidator = z.object({
  model: jobField.model.optional(),
  top_k: formInt(jobField.top_k).optional(),
  cache: formOnly.cache.optional(),
  label_set: jobField.label_set.optional(),
  priority: formInt(jobField.priority).optional(),
  deadline_seconds: formInt(jobField.deadline_seconds).optional(),
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
  webhook_url: jobField.webhook_url.optional(),
  webhook_events: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(WEBHOOK_EVENTS, { message: `each event must be one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1))
    .optional(),
});
