/** Just enough of the Prometheus text format to read inferq's batch metrics and Node's event-loop gauges. */
export type Samples = Map<string, number>;

/** `name{labels} value` lines → map keyed by `name{labels}` exactly as written (the role label included). */
export function parseProm(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function scrape(url: string): Promise<Samples> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parseProm(await res.text());
}

/** Sum of every sample of metric `name` whose labels contain all of `match` (`key="value"` pairs). */
export function sumOf(s: Samples, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const [k, v] of s) {
    const brace = k.indexOf('{');
    const metric = brace < 0 ? k : k.slice(0, brace);
    if (metric !== name) continue;
    if (Object.entries(match).every(([lk, lv]) => k.includes(`${lk}="${lv}"`))) sum += v;
  }
  return sum;
}

export interface BatchStats {
  batches: number;
  images: number;
  meanBatchSize: number;
  /** Flushes by reason (`full`, `timeout`, `idle`, `drain`). */
  flushes: Record<string, number>;
  /** Mean time of one model run over a batch, ms. */
  meanBatchInferenceMs: number;
}

/** Batch metrics between two scrapes of the same workers (summed over workers). */
export function batchStats(before: Samples[], after: Samples[]): BatchStats {
  const delta = (name: string, match: Record<string, string> = {}) =>
    after.reduce((s, a) => s + sumOf(a, name, match), 0) - before.reduce((s, b) => s + sumOf(b, name, match), 0);
  const batches = delta('inferq_batch_size_count');
  const images = delta('inferq_batch_size_sum');
  const flushes: Record<string, number> = {};
  for (const reason of ['full', 'timeout', 'idle', 'drain']) {
    const n = delta('inferq_batch_flushes_total', { reason });
    if (n > 0) flushes[reason] = n;
  }
  const infSum = delta('inferq_batch_inference_seconds_sum');
  return {
    batches,
    images,
    meanBatchSize: batches ? images / batches : 0,
    flushes,
    meanBatchInferenceMs: batches ? (infSum * 1000) / batches : 0,
  };
}

/** prom-client samples the loop every 10 ms (its default precision), and each sample includes those 10 ms. */
const PROM_RESOLUTION_MS = 10;

/**
 * Event-loop delay since the previous scrape (prom-client resets its histogram at every scrape), in ms beyond the
 * sampling interval: 0 is a loop that was never late.
 */
export function eventLoop(s: Samples): { p50: number; p99: number; max: number; mean: number } {
  const ms = (name: string) => Math.max(0, Math.round((sumOf(s, name) * 1e3 - PROM_RESOLUTION_MS) * 10) / 10);
  return {
    p50: ms('nodejs_eventloop_lag_p50_seconds'),
    p99: ms('nodejs_eventloop_lag_p99_seconds'),
    max: ms('nodejs_eventloop_lag_max_seconds'),
    mean: ms('nodejs_eventloop_lag_mean_seconds'),
  };
}
