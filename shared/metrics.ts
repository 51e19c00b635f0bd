import client from 'prom-client';

/**
 * Every metric inferq exports, in one registry per process. Labels only take bounded values (model names,
 * statuses, error codes, route templates), never job ids, filenames or URLs.
 */
// Millisecond-scale work: preprocessing and inference take a few ms; end to end can take seconds under load.
const FAST = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SLOW = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(role: 'api' | 'worker') {
  const registry = new client.Registry();
  registry.setDefaultLabels({ role });
  client.collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    jobsSubmitted: new client.Counter({ name: 'inferq_jobs_submitted_total', help: 'Jobs accepted by the API', labelNames: ['model'], registers: r }),
    jobsFinished: new client.Counter({ name: 'inferq_jobs_finished_total', help: 'Jobs that reached a terminal status', labelNames: ['model', 'status'], registers: r }),
    jobFailures: new client.Counter({ name: 'inferq_job_failures_total', help: 'Failed jobs by error code', labelNames: ['model', 'code'], registers: r }),
    queueWait: new client.Histogram({ name: 'inferq_job_queue_wait_seconds', help: 'Time from submit until a worker started the job', labelNames: ['model'], buckets: SLOW, registers: r }),
    preprocess: new client.Histogram({ name: 'inferq_preprocess_seconds', help: 'Decode, resize and normalise one image', labelNames: ['model'], buckets: FAST, registers: r }),
    batchInference: new client.Histogram({ name: 'inferq_batch_inference_seconds', help: 'One model run over a batch', labelNames: ['model'], buckets: FAST, registers: r }),
    batchSize: new client.Histogram({ name: 'inferq_batch_size', help: 'Images per model run', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64], registers: r }),
    batchFlushes: new client.Counter({ name: 'inferq_batch_flushes_total', help: 'Batches run, by why they were flushed', labelNames: ['model', 'reason'], registers: r }),
    endToEnd: new client.Histogram({ name: 'inferq_job_end_to_end_seconds', help: 'Time from submit until the result was stored', labelNames: ['model'], buckets: SLOW, registers: r }),
    httpDuration: new client.Histogram({ name: 'inferq_http_request_duration_seconds', help: 'HTTP requests by route template', labelNames: ['method', 'route', 'status_code'], buckets: SLOW, registers: r }),
    deadlineExpired: new client.Counter({ name: 'inferq_jobs_deadline_expired_total', help: 'Jobs failed with deadline_exceeded, by where it was decided: take (a worker reached it) or sweep', labelNames: ['model', 'at'], registers: r }),
    webhookDeliveries: new client.Counter({ name: 'inferq_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: r }),
    webhookDuration: new client.Histogram({ name: 'inferq_webhook_delivery_seconds', help: 'Duration of one webhook delivery attempt', buckets: SLOW, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
