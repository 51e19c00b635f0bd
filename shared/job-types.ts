import type { JobInput, JobStatus } from './contract/job.js';

/** The views a client sees are the contract's (shared/contract): `GET /v1/jobs/{id}` is `JobView`. */
export type { JobError, JobInput, JobResult, JobStatus, JobTimings, JobView, WebhookDelivery } from './contract/job.js';

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];
export const isTerminal = (s: JobStatus) => TERMINAL_STATUSES.includes(s);
/** What the API writes when it accepts a job. */
export interface NewJob {
  id: string;
  model: { name: string; version: string };
  createdAt: string;
  input: JobInput;
  topK: number;
  labelSet: string | null;
  blobKey: string;
  metadata: Record<string, unknown>;
  priority: number | null;
  /** Epoch ms; null without a deadline. */
  deadlineAt: number | null;
  batchId: string | null;
  requestId: string | null;
  webhook: { url: string; events: string[] } | null;
  /** A JSON-lines batch item's `custom_id`. */
  customId?: string;
}
