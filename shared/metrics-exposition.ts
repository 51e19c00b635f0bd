import Negotiator from 'negotiator';
import client, { type Registry } from 'prom-client';

const TEXT = client.Registry.PROMETHEUS_CONTENT_TYPE;
const OPENMETRICS = client.Registry.OPENMETRICS_CONTENT_TYPE;

// One scrape at a time per process: the registry switches format for an OpenMetrics scrape, and prom-client's
// OpenMetrics writer renames counters in place while it runs (strips `_total`, prometheus/client_js#829), so a
// text scrape interleaved with it would print wrong names.
let lock: Promise<unknown> = Promise.resolve();

/**
 * `/metrics` for an `Accept` header: OpenMetrics 1.0 when the scraper prefers it (Prometheus does), the
 * Prometheus text format 0.0.4 otherwise (curl, older scrapers).
 */
export interface Exposition {
  contentType: string;
  body: string;
}

export function writeMetrics(registry: Registry, accept: string | undefined): Promise<Exposition> {
  // With their versions: an Accept entry with parameters only matches an offer with the same ones.
  const offers = ['text/plain; version=0.0.4', 'application/openmetrics-text; version=1.0.0'];
  const wanted = new Negotiator({ headers: { accept: accept || '*/*' } }).mediaType(offers);
  const run = lock.then((): Promise<Exposition> => (wanted === offers[1] ? openMetrics(registry) : textFormat(registry)));
  lock = run.catch(() => undefined);
  return run;
}

const textFormat = (registry: Registry) => render(registry, TEXT);
const openMetrics = (registry: Registry) => render(registry, OPENMETRICS);

/** The registry in `format` for one scrape, then back as it was (an exemplar registry is OpenMetrics at rest). */
async function render(registry: Registry, format: typeof TEXT | typeof OPENMETRICS): Promise<Exposition> {
  const metrics = registry.getMetricsAsArray() as unknown as { name: string }[];
  const names = metrics.map((m) => m.name);
  // prom-client types a registry by its format; this one is switched for the length of one scrape.
  const switchable = registry as unknown as Registry<typeof OPENMETRICS | typeof TEXT>;
  const atRest = switchable.contentType;
  switchable.setContentType(format);
  try {
    return { contentType: format, body: await registry.metrics() };
  } finally {
    switchable.setContentType(atRest);
    metrics.forEach((m, i) => (m.name = names[i]!));
  }
}
