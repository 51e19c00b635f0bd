import type { Metrics } from './metrics.js';

/** Every count a deadline expiry moves, wherever it was decided (a worker's take, or the sweep). */
export function countExpired(metrics: Metrics, model: string, at: 'take' | 'sweep'): void {
  metrics.jobsFinished.inc({ model, status: 'failed' });
  metrics.jobFailures.inc({ model, code: 'deadline_exceeded' });
  metrics.deadlineExpired.inc({ model, at });
}
