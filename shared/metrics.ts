import client from 'prom-client';
import { latencyHistogram } from './exemplars.js';

/**
 * Every metric inferq exports, in one registry per process. Labels only take bounded values (model names,
 * statuses, error codes, route templates), never job ids, filenames or URLs.
 */
// Millisecond-scale work: preprocessing and inference take a few ms; end to end can take seconds under load.
const FAST = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SLOW = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** `exemplars` (tracing on): the latency histograms carry trace ids, which only OpenMetrics can show. */
export function createMetrics(role: 'api' | 'worker', opts: { exemplars?: boolean } = {}) {
  const exemplars = opts.exemplars ?? false;
  // prom-client only accepts exemplar histograms in an OpenMetrics registry; text scrapes still work (writeMetrics).
  const registry = new client.Registry();
  if (exemplars) (registry as unknown as client.Registry<client.OpenMetricsContentType>).setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  registry.setDefaultLabels({ role });
  client.collectDefaultMetrics({ register: registry });
  // Gauges named `_total` break the naming rule (`promtool check metrics` fails on them); the per-type gauges
  // of the same name without the suffix stay, and sum() over them is the same number.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const r = [registry];
  return {
    registry,
    jobsSubmitted: new client.Counter({ name: 'inferq_jobs_submitted_total', help: 'Jobs accepted by the API', labelNames: ['model'], registers: r }),
    jobsFinished: new client.Counter({ name: 'inferq_jobs_finished_total', help: 'Jobs that reached a terminal status', labelNames: ['model', 'status'], registers: r }),
    jobFailures: new client.Counter({ name: 'inferq_job_failures_total', help: 'Failed jobs by error code', labelNames: ['model', 'code'], registers: r }),
    queueWait: latencyHistogram({ name: 'inferq_job_queue_wait_seconds', help: 'Time from submit until a worker started the job', labelNames: ['model'], buckets: SLOW, registers: r }, exemplars),
    preprocess: new client.Histogram({ name: 'inferq_preprocess_seconds', help: 'Decode, resize and normalise one image', labelNames: ['model'], buckets: FAST, registers: r }),
    batchInference: new client.Histogram({ name: 'inferq_batch_inference_seconds', help: 'One model run over a batch', labelNames: ['model'], buckets: FAST, registers: r }),
    batchSize: new client.Histogram({ name: 'inferq_batch_size', help: 'Images per model run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64], registers: r }),
    batchFlushes: new client.Counter({ name: 'inferq_batch_flushes_total', help: 'Batches run, by why they were flushed', labelNames: ['model', 'reason'], registers: r }),
    // Per tenant (API key name, or `public`): bounded by the configured keys. The histogram's _count is the
    // tenant's jobs started, so started / submitted tells a starving tenant.
    tenantSubmitted: new client.Counter({ name: 'inferq_tenant_jobs_submitted_total', help: 'Jobs accepted by the API, by API key name', labelNames: ['tenant'], registers: r }),
    tenantQueueWait: new client.Histogram({ name: 'inferq_tenant_queue_wait_seconds', help: 'Time from submit until a worker started the job, by API key name', labelNames: ['tenant'], buckets: SLOW, registers: r }),
    resultWrite: new client.Histogram({ name: 'inferq_result_write_seconds', help: 'Storing one result in the job record', labelNames: ['model'], buckets: FAST, registers: r }),
    endToEnd: latencyHistogram({ name: 'inferq_job_end_to_end_seconds', help: 'Time from submit until the result was stored', labelNames: ['model'], buckets: SLOW, registers: r }, exemplars),
    httpDuration: new client.Histogram({ name: 'inferq_http_request_duration_seconds', help: 'HTTP requests by route template', labelNames: ['method', 'route', 'status_code'], buckets: SLOW, registers: r }),
    resultCache: new client.Counter({ name: 'inferq_result_cache_total', help: 'Result cache lookups: answered at submit (api) or before the model (worker), or missed', labelNames: ['model', 'where', 'result'], registers: r }),
    deadlineExpired: new client.Counter({ name: 'inferq_jobs_deadline_expired_total', help: 'Jobs failed with deadline_exceeded, by where it was decided: take (a worker reached it) or sweep', labelNames: ['model', 'at'], registers: r }),
    webhookDeliveries: new client.Counter({ name: 'inferq_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: r }),
    webhookDuration: new client.Histogram({ name: 'inferq_webhook_delivery_seconds', help: 'Duration of one webhook delivery attempt', buckets: SLOW, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
