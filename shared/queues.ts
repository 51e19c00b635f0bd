/** Queue names and job payloads: a closed set, payloads keyed by name. Payloads hold references, never bytes. */
export const QUEUES = { inference: 'inference', webhooks: 'webhooks' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface InferencePayload {
  jobId: string;
  model: string;
  blobKey: string;
  topK: number;
  requestId?: string;
  /** Who submitted it: the API key's name, or `public` without auth (a bounded metrics label). */
  tenant?: string;
  batchId?: string;
  /** Set when the job has a webhook, so workers read the job record back only for those. */
  webhook?: boolean;
}

export interface WebhookPayload {
  /** Stable across retries: receivers dedupe on it. */
  eventId: string;
  type: string;
  url: string;
  jobId?: string;
  batchId?: string;
  requestId?: string;
}

/** Maps the optional client `priority` (0 highest … 10 lowest, default 5) to BullMQ's (1 highest). */
export const toBullPriority = (priority: number) => 1 + priority;
