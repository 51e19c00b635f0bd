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
  /** The image's sha256: the result cache's key (absent in jobs queued by older APIs: no cache then). */
  sha256?: string;
  /** `cache=false`: the worker neither reuses an answer nor shares its run with the same image's jobs. */
  noCache?: boolean;
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

/** The API's priority: an integer 0..10, higher runs sooner; a job sent without one runs as 5. */
export const PRIORITY = { min: 0, max: 10, default: 5 } as const;

/**
 * BullMQ's priority for a job. BullMQ runs lower numbers first and FIFO within a number, but runs its
 * un-prioritised jobs (0) before every prioritised one, so every job gets a number here, none jumps the queue.
 * Each API level owns two numbers, the single jobs' then the batch items': 10 → 1, 2; 5 → 11, 12; 0 → 21, 22.
 * So a higher level always runs first, and a batch never starves the single jobs of its level (batch items are
 * level 5: single jobs of 5 and above go before them, those of 0..4 after).
 */
export function toBullPriority(priority: number | null, kind: 'single' | 'batch'): number {
  return 1 + 2 * (PRIORITY.max - (priority ?? PRIORITY.default)) + (kind === 'batch' ? 1 : 0);
}
