import type { Context } from '@opentelemetry/api';
import type { NodeSDK, tracing } from '@opentelemetry/sdk-node';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Unset, nothing is loaded: no SDK, no hooks, no cost.
 *
 * The spans are the SDK's own instrumentations (HTTP, Fastify's @fastify/otel, pg, gRPC, kafkajs), which also carry
 * the W3C `traceparent` across the hops: gateway HTTP → gRPC metadata → consent-audit, and Kafka
 * message headers → job-match consumer. Must run before those modules are first required, hence
 * each app's `tracing.ts`, imported first by its main.ts.
 *
 * No identifier may leave in a span: pg records statements without their parameters, no
 * instrumentation records headers or bodies, and the attributes below (message keys can be
 * pseudonyms, query strings can carry anything) are removed before export.
 */
export const SPAN_ATTRIBUTES_WITHHELD = [
  'messaging.kafka.message.key',
  'messaging.kafka.message_key',
  'url.query',
  'http.url',
  'http.target',
  'url.full',
  'db.query.parameter',
  'enduser.id',
] as const;

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Removes the withheld attributes (and any `db.query.parameter.*`) from a span's attributes, in place. */
export function withholdAttributes(attributes: Record<string, unknown>): void {
  // Fastify's request.url keeps the query string: a path is only its path.
  const path = attributes['url.path'];
  if (typeof path === 'string' && path.includes('?')) attributes['url.path'] = path.slice(0, path.indexOf('?'));
  for (const key of Object.keys(attributes)) {
    if ((SPAN_ATTRIBUTES_WITHHELD as readonly string[]).includes(key) || key.startsWith('db.query.parameter.') || key.startsWith('http.request.header.') || key.startsWith('http.response.header.')) {
      delete attributes[key];
    }
  }
}

let started: NodeSDK | undefined;

/** Starts tracing for `service` when enabled; returns a stop function (flushes pending spans). */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  if (!tracingEnabled(env) || started) return stopTracing;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const otel = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const { KafkaJsInstrumentation } = require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const batch = new otel.tracing.BatchSpanProcessor(new OTLPTraceExporter());
  const withholding: tracing.SpanProcessor = {
    onStart: (span: tracing.Span, ctx: Context) => batch.onStart(span, ctx),
    onEnd: (span: tracing.ReadableSpan) => {
      withholdAttributes(span.attributes as Record<string, unknown>);
      batch.onEnd(span);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
  };
  const sdk = new otel.NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || `passerelle-${service}`,
    spanProcessors: [withholding],
    instrumentations: [
      new HttpInstrumentation({
        // probes and scrapes are not exchanges
        ignoreIncomingRequestHook: (req) => /^\/(health|metrics)\b/.test(req.url ?? ''),
      }),
      // Fastify's own: hooked on its diagnostics channel, so it sees the instance Nest imports as an ES module.
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      new GrpcInstrumentation({ ignoreGrpcMethods: [/^Check$|^Watch$/] }),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();
  started = sdk;
  return stopTracing;
}

/** Exports the spans still buffered and stops the SDK (a no-op when tracing is off). */
export async function stopTracing(): Promise<void> {
  const sdk = started;
  started = undefined;
  await sdk?.shutdown();
}
