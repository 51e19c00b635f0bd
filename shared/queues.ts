import type { TraceCarrier } from './tracing.js';

/** Queue names and job payloads: a closed set, payloads keyed by name. Payloads hold references, never bytes. */
export const QUEUES = { inference: 'inference', webhooks: 'webhooks' } as const;
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
  /** Absent in jobs queued by older APIs: the worker then reads the header itself. */
  image?: ImageDims;
}

export interface WebhookPayload {
  /** Stable across retries: receivers dedupe on it. */
  eventId: string;
  type: string;
  url: string;
  jobId?: string;
  batchId?: string;
  requestId?: string;
  /** Trace context of the status change (the job's span), so the attempt joins the job's trace. */
  trace?: TraceCarrier;
}

/** Maps the optional client `priority` (0 highest … 10 lowest, default 5) to BullMQ's (1 highest). */
export const toBullPriority = (priority: number) => 1 + priority;
