import type { BatchStore } from './batch-store.js';
import type { JobView } from './job-types.js';
import type { WebhookBodyType } from './contract/constants.js';
import type { JobQueue } from './queue/job-queue.js';
import { currentCarrier } from './tracing.js';

/** The caller's trace (a job's span, a request's): the delivery attempts join it. */
const traceOf = () => {
  const trace = currentCarrier();
  return trace ? { trace } : {};
};

/** A job's webhook events: the contract's body types but `batch.completed`. */
export type JobEventType = Exclude<WebhookBodyType, 'batch.completed'>;
const TERMINAL: JobEventType[] = ['job.succeeded', 'job.failed', 'job.canceled'];

const EVENT_OF: Record<string, JobEventType> = {
  processing: 'job.started',
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  canceled: 'job.canceled',
};

/** Expands a subscription filter: `job.completed` stands for the three terminal events. */
export function expandEvents(filter: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const e of filter) {
    if (e === 'job.completed') TERMINAL.forEach((t) => out.add(t));
    else out.add(e);
  }
  return out;
}

/**
 * Turns job status changes into webhook deliveries on their own queue. The BullMQ job id is the event id, so a
 * status change reported twice (a job run twice) is enqueued once, and receivers see one `webhook-id` per event.
 * Called only after the result is stored, so a receiver that fetches the job sees it.
 */
export class WebhookNotifier {
  constructor(
    private readonly queue: JobQueue<'webhooks'>,
    private readonly batches?: BatchStore,
  ) {}

  async jobChanged(job: JobView, status: string, requestId?: string | null): Promise<void> {
    const type = EVENT_OF[status];
    if (!type || !job.webhook || !expandEvents(job.webhook.events).has(type)) return;
    const eventId = `msg_${job.id}_${type.replace('.', '_')}`;
    await this.queue.add({
      data: { eventId, type, url: job.webhook.url, jobId: job.id, ...(requestId ? { requestId } : {}), ...traceOf() },
      jobId: eventId,
    });
  }

  /**
   * `batch.completed`, when the batch has ended and has a webhook URL. Read from the batch itself, so a caller
   * that is not sure (a re-run of an ended job) may ask any number of times: the event id dedupes.
   */
  async batchEnded(batchId: string): Promise<void> {
    const batch = await this.batches?.get(batchId);
    const url = batch?.completed_at ? batch.webhook?.url : undefined;
    if (!url) return;
    const eventId = `msg_${batchId}_batch_completed`;
    await this.queue.add({ data: { eventId, type: 'batch.completed', url, batchId, ...traceOf() }, jobId: eventId });
  }
}
