import client from 'prom-client';
import type { Metrics } from '../../shared/metrics.js';
import type { EventHub } from './event-hub.js';

/** `inferq_event_streams{kind}`: open SSE streams of this API process, read from the hub at scrape time. */
export function registerStreamGauge(metrics: Metrics, hub: EventHub): void {
  new client.Gauge({
    name: 'inferq_event_streams',
    help: 'Open Server-Sent Events streams, by what they follow',
    labelNames: ['kind'],
    registers: [metrics.registry],
    collect() {
      this.set({ kind: 'job' }, hub.streams('job'));
      this.set({ kind: 'batch' }, hub.streams('batch'));
    },
  });
}
