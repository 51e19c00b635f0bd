/** How the client's options become the API's bodies and headers (multipart fields are strings, JSON keeps types). */
import type { CreateBatchOptions, ImageInput, SubmitOptions } from './options.js';

export function toBlob(image: ImageInput): Blob {
  if (image.data instanceof Blob) return image.data;
  const d = image.data;
  // Blob copies the bytes; a view over a plain ArrayBuffer avoids a second copy.
  const part = d.buffer instanceof ArrayBuffer ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
  return new Blob([part as Uint8Array<ArrayBuffer>], image.contentType ? { type: image.contentType } : {});
}

export function waitHeader(wait: number | boolean | undefined): string | null {
  if (wait === undefined || wait === false) return null;
  if (wait === true) return 'wait';
  return `wait=${Math.max(0, Math.floor(wait))}`;
}

/** The form of `POST /v1/jobs` and `/predict`. */
export function jobForm(image: ImageInput, opts: SubmitOptions): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(jobFields({ ...opts, metadata: undefined }))) form.append(k, String(v));
  // Text metadata goes as it is (the server says what is wrong with it); an object as its JSON.
  if (opts.metadata !== undefined) form.append('metadata', typeof opts.metadata === 'string' ? opts.metadata : JSON.stringify(opts.metadata));
  form.append('image', toBlob(image), image.filename);
  return form;
}

/** The job's fields with their JSON types (the body of `submitJobFromUrl`; the form sends them as text). */
export function jobFields(opts: SubmitOptions): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  if (opts.model !== undefined) f.model = opts.model;
  if (opts.topK !== undefined) f.top_k = opts.topK;
  if (opts.labelSet !== undefined) f.label_set = opts.labelSet;
  if (opts.cache === false) f.cache = false;
  if (opts.metadata !== undefined) f.metadata = typeof opts.metadata === 'string' ? JSON.parse(opts.metadata) : opts.metadata;
  if (opts.webhookUrl !== undefined) f.webhook_url = opts.webhookUrl;
  if (opts.webhookEvents !== undefined) f.webhook_events = Array.isArray(opts.webhookEvents) ? opts.webhookEvents.join(',') : opts.webhookEvents;
  if (opts.priority !== undefined) f.priority = opts.priority;
  return f;
}

/** The headers of a submit: `Idempotency-Key` and `Prefer: wait`, and how long the call may then take. */
export function submitHeaders(opts: SubmitOptions, defaultTimeoutMs: number): { headers: Record<string, string>; timeoutMs: number } {
  const headers: Record<string, string> = {};
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  const prefer = waitHeader(opts.wait);
  if (prefer) headers.Prefer = prefer;
  const waitMs = typeof opts.wait === 'number' ? opts.wait * 1000 : opts.wait ? 60_000 : 0;
  return { headers, timeoutMs: Math.max(defaultTimeoutMs, waitMs + 15_000) };
}

/** `POST /v1/batches`: multipart with the images (created and sealed at once), else JSON (an open batch). */
export function batchBody(opts: CreateBatchOptions): { body: BodyInit; contentType?: string } {
  const f: Record<string, unknown> = {};
  if (opts.model !== undefined) f.model = opts.model;
  if (opts.topK !== undefined) f.top_k = opts.topK;
  if (opts.labelSet !== undefined) f.label_set = opts.labelSet;
  if (opts.cache === false) f.cache = false;
  if (opts.webhookUrl !== undefined) f.webhook_url = opts.webhookUrl;
  if (opts.metadata !== undefined) f.metadata = opts.metadata;
  if (!opts.images || opts.images.length === 0) return { body: JSON.stringify(f), contentType: 'application/json' };
  const form = new FormData();
  for (const [k, v] of Object.entries(f)) form.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const image of opts.images) form.append('images', toBlob(image), image.filename);
  return { body: form };
}
