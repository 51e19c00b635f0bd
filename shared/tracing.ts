import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Link, type Span, type SpanOptions } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export { SpanKind };
export type { Link };

/** W3C trace context as it travels inside a job payload (BullMQ carries the job data, nothing else). */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const tracer = () => trace.getTracer('inferq');

/**
 * OpenTelemetry for one process: off (every call below is a no-op) unless an OTLP endpoint is configured, or a
 * test passes its own exporter. The exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself
 * (headers, timeout, compression); W3C `traceparent`/`tracestate` is the propagation format.
 */
export function startTracing(opts: { serviceName: string; otlpEndpoint?: string; exporter?: SpanExporter }): { shutdown: () => Promise<void> } | null {
  if (!opts.otlpEndpoint && !opts.exporter) return null;
  // The SDK and exporter load only when tracing is on: every process would otherwise carry them in memory
  // (issue 12: API RSS). They are CommonJS packages (an ESM import loads the same build), so a synchronous
  // require gives the very modules an import would, and startTracing stays synchronous for its callers.
  const load = createRequire(import.meta.url);
  const { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor } = load('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = load('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const processor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint!.replace(/\/$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors: [processor],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

/** The active trace context as a carrier for a job payload (empty when tracing is off). */
export function currentCarrier(): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier (a payload's or a request's headers) describes; the root context without one. */
export function contextFrom(carrier: TraceCarrier | Record<string, unknown> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** The trace id of the active span, for log lines; undefined when tracing is off. */
export function activeTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/** Runs `fn` inside a new active span (a child of `parent`, else of the active context), ending it after. */
export async function inSpan<T>(name: string, fn: (span: Span) => Promise<T>, opts: SpanOptions = {}, parent: Context = context.active()): Promise<T> {
  return tracer().startActiveSpan(name, opts, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span for something that already happened, between two instants (ms since the epoch). */
export function recordSpan(name: string, startMs: number, endMs: number, opts: SpanOptions = {}, parent: Context = context.active()): void {
  tracer().startSpan(name, { ...opts, startTime: startMs }, parent).end(endMs);
}

/** A span the caller ends (e.g. an HTTP request, ended when the response finishes). */
export function startSpan(name: string, opts: SpanOptions, parent: Context): Span {
  return tracer().startSpan(name, opts, parent);
}

/** The span context of the active span, for a link from a span started elsewhere (a batch run). */
export function activeSpanContext() {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? ctx : undefined;
}

export const withContext = <T>(ctx: Context, fn: () => T): T => context.with(ctx, fn);
export const setSpan = (ctx: Context, span: Span): Context => trace.setSpan(ctx, span);
