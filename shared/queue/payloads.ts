import type { TraceCarrier } from '../tracing.js';
import type { WebhookBodyType } from '../contract/constants.js';

/** Queue names and job payloads: a closed set, payloads keyed by queue. Payloads hold references, never bytes. */
export const QUEUES = { inference: 'inference', webhooks: 'webhooks', fetch: 'image-fetch' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** What the API read from the image's header: the worker trusts it and does not read the header again. */
export interface ImageDims {
  width: number;
  height: number;
}

export interface InferencePayload {
  jobId: string;
  model: string;
  blobKey: string;
  topK: number;
  /** A label set of the model to answer in too (validated at submit). */
  labelSet?: string;
  requestId?: string;
  /** Who submitted it: the API key's name, or `public` without auth (a bounded metrics label). */
  tenant?: string;
  /** W3C trace context of the enqueue, when tracing is on: the worker continues the trace from it. */
  trace?: TraceCarrier;
  batchId?: string;
  /** Set when the job has a webhook, so workers read the job record back only for those. */
  webhook?: boolean;
  /** The image's sha256: the result cache's key (absent in jobs queued by older APIs: no cache then). */
  sha256?: string;
  /** `cache=false`: the worker neither reuses an answer nor shares its run with the same image's jobs. */
  noCache?: boolean;
  /** Absent in jobs queued by older APIs: the worker then reads the header itself. */
  image?: ImageDims;
}

/**
 * A job waiting for its `image_url` to be fetched (the fetch stage, worker/fetch-consumer.ts): what its inference
 * payload will carry, less what the fetch finds out (blob, size, sha256), plus the URL.
 */
export type FetchPayload = Pick<InferencePayload, 'jobId' | 'model' | 'topK' | 'labelSet' | 'requestId' | 'tenant' | 'trace' | 'batchId' | 'webhook'> & {
  url: string;
  /** The API priority (0..10) of a single job; batch items run at the batch level. */
  priority: number | null;
  /** False (`cache=false`): the worker neither reuses an answer nor shares its run. */
  cache: boolean;
};

export interface WebhookPayload {
  /** Stable across retries: receivers dedupe on it. */
  eventId: string;
  type: WebhookBodyType;
  url: string;
  jobId?: string;
  batchId?: string;
  requestId?: string;
  /** Trace context of the status change (the job's span), so the attempt joins the job's trace. */
  trace?: TraceCarrier;
}

/** Each queue's payload: the union keyed by name (immich's `JobItem`). */
export interface PayloadOf {
  inference: InferencePayload;
  'image-fetch': FetchPayload;
  webhooks: WebhookPayload;
}

/** Each queue's one job name (BullMQ's `name`, shown by the dashboard): kept as older releases wrote them. */
export const JOB_NAME = { inference: 'classify', 'image-fetch': 'fetch', webhooks: 'deliver' } as const satisfies Record<QueueName, string>;
