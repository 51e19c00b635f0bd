import client, { type HistogramConfiguration } from 'prom-client';
import { activeTraceId } from './tracing.js';

/**
 * A latency histogram whose observations made inside a traced span carry the trace id as an OpenMetrics
 * exemplar (`# {trace_id="…"} 0.42 …` after a bucket): Grafana jumps from a slow bucket to a trace. prom-client
 * takes exemplars through another observe() signature; this keeps the usual `observe(labels, value)`.
 * Without `exemplars` it is a plain histogram.
 */
export function latencyHistogram<T extends string>(config: HistogramConfiguration<T>, exemplars: boolean): client.Histogram<T> {
  const h = new client.Histogram<T>({ ...config, enableExemplars: exemplars });
  if (!exemplars) return h;
  const observe = h.observe.bind(h) as unknown as (o: { labels: object; value: number; exemplarLabels: Record<string, string> }) => void;
  h.observe = ((labels: object | number, value?: number) => {
    const traceId = activeTraceId();
    const [l, v] = typeof labels === 'number' ? [{}, labels] : [labels, value!];
    observe({ labels: l, value: v, exemplarLabels: traceId ? { trace_id: traceId } : {} });
  }) as typeof h.observe;
  return h;
}
