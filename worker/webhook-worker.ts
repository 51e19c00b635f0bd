import type { RedisClient } from '../shared/redis.js';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { JobStore } from '../shared/job-store.js';
import type { BatchView } from '../shared/batch-store.js';
import type { BatchWebhookBody, JobWebhookBody } from '../shared/contract/events.js';
import { QUEUES, UnrecoverableError, createConsumer, type Consumer, type QueuedJob, type WebhookPayload } from '../shared/queue/index.js';
import { checkUrl, guardedLookup } from '../shared/ssrf-guard.js';
import { SpanKind, contextFrom, currentCarrier, inSpan } from '../shared/tracing.js';
import { postWebhook, type DeliveryResult } from './webhook-client.js';

const MAX_RESPONSE_BYTES = 4096;

/** A failed attempt that should be retried, no sooner than the receiver's Retry-After. */
class RetryableDelivery extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export interface WebhookWorkerDeps {
  redis: RedisClient;
  config: Readonly<Config>;
  jobs: JobStore;
  metrics: Metrics;
  logger: Logger;
  secret: string;
  /** The current batch object for `batch.*` events (null when gone). */
  loadBatch?: (id: string) => Promise<BatchView | null>;
}

/** The body of a delivery, as the contract has it: the job or the batch as `GET` shows it now (null when gone). */
async function messageOf(deps: WebhookWorkerDeps, p: WebhookPayload, now: Date): Promise<JobWebhookBody | BatchWebhookBody | null> {
  const timestamp = now.toISOString();
  if (p.jobId) {
    const job = await deps.jobs.get(p.jobId);
    return job ? { type: p.type, timestamp, data: job.view } : null;
  }
  const batch = await deps.loadBatch?.(p.batchId!);
  return batch ? { type: p.type, timestamp, data: batch } : null;
}

/**
 * Delivers webhook events from their own queue, so a slow, hanging or failing receiver never delays inference or
 * other receivers. Retries follow WEBHOOK_RETRY_SCHEDULE (plus up to 10 % jitter, never before Retry-After);
 * 410 Gone stops at once; every attempt is recorded on the job.
 */
export function createWebhookWorker(deps: WebhookWorkerDeps): Consumer<'webhooks'> {
  const { config } = deps;
  const schedule = config.webhooks.retrySchedule;
  const signer = new Webhook(deps.secret);
  const guard = { allowedHosts: config.webhooks.allowedHosts };
  const lookup = guardedLookup(guard);

  const processor = async (job: QueuedJob<WebhookPayload>) => {
    const p = job.data;
    const attempt = job.attemptsMade + 1;
    const last = attempt >= schedule.length + 1;
    const log = deps.logger.child({ event_id: p.eventId, event: p.type, job_id: p.jobId, batch_id: p.batchId, request_id: p.requestId, attempt });
    const now = new Date();
    const message = await messageOf(deps, p, now);
    if (!message) {
      log.info('webhook dropped: its job or batch is past retention');
      return { outcome: 'dropped' };
    }
    const body = JSON.stringify(message);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'inferq-webhooks/1',
      'webhook-id': p.eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signer.sign(p.eventId, now, body),
    };
    if (p.requestId) headers['x-request-id'] = p.requestId;

    // Each attempt is a span in the trace of what caused the event; the receiver gets its `traceparent`.
    const result = await inSpan('webhook attempt', async (span) => {
      Object.assign(headers, currentCarrier());
      let r: DeliveryResult;
      try {
        r = await postWebhook(checkUrl(p.url, guard), body, headers, { timeoutMs: config.webhooks.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, lookup });
      } catch (err) {
        r = { statusCode: null, error: (err as Error).message, errorCode: 'EREFUSED_SSRF', retryAfterMs: null, durationMs: 0 };
      }
      span.setAttributes({ 'inferq.event_id': p.eventId, 'inferq.attempt': attempt, ...(r.statusCode !== null ? { 'http.response.status_code': r.statusCode } : {}) });
      return r;
    }, { kind: SpanKind.CLIENT }, contextFrom(p.trace));
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const outcome = ok
      ? 'delivered'
      : result.errorCode === 'EREFUSED_SSRF'
        ? 'refused'
        : result.statusCode === 410
          ? 'gone'
          : last
            ? 'gave_up'
            : 'failed';
    deps.metrics.webhookDeliveries.inc({ outcome });
    deps.metrics.webhookDuration.observe(result.durationMs / 1000);
    if (p.jobId) {
      await deps.jobs.addDelivery(p.jobId, {
        attempt, at: now.toISOString(), event: p.type, webhook_id: p.eventId, status_code: result.statusCode,
        error: result.error, outcome, duration_ms: result.durationMs,
      });
    }
    log.info({ status_code: result.statusCode, error: result.error, outcome, duration_ms: result.durationMs }, 'webhook attempt');
    if (ok) return { outcome };
    const why = result.statusCode !== null ? `receiver answered ${result.statusCode}` : result.error!;
    if (outcome === 'gone' || outcome === 'refused') throw new UnrecoverableError(why);
    throw new RetryableDelivery(why, result.retryAfterMs);
  };

  return createConsumer(QUEUES.webhooks, processor, config, deps.redis, {
    concurrency: config.webhooks.concurrency,
    // A delivery can legitimately take the whole timeout; its lock must outlive that.
    lockDurationMs: Math.max(30_000, config.webhooks.timeoutMs * 2),
    backoff: (attemptsMade, err) => {
      const base = schedule[Math.min(attemptsMade, schedule.length) - 1] ?? 0;
      const jittered = base * (1 + Math.random() * 0.1);
      const retryAfter = err instanceof RetryableDelivery ? (err.retryAfterMs ?? 0) : 0;
      return Math.round(Math.max(jittered, retryAfter));
    },
  });
}
