import { register } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { redactPath, redactQuery } from './tracing-config.js';

/** Probes and scrapes would drown the traces that matter. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0] ?? '/';

/** Replaces the URL attributes the instrumentations set with redacted ones. */
function redactUrl(span: Span, path: string, query: string): void {
  span.setAttribute('url.path', redactPath(path));
  if (query !== '') span.setAttribute('url.query', redactQuery(query));
}

/**
 * Starts the OpenTelemetry SDK for traces only (metrics stay on /metrics), exporting as
 * the standard `OTEL_*` variables say (OTLP by default). Spans: incoming HTTP with the
 * Express route, outgoing fetch (provider and webhook calls), pg queries (statements only,
 * never parameter values), plus the broker's own spans (see spans.ts).
 */
export function startTracing(): NodeSDK {
  // ESM modules (node:http, express through ESM imports) are patched through this loader hook.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const sdk = new NodeSDK({
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'token-broker' }),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(pathOf(req.url)),
        disableOutgoingRequestInstrumentation: true,
        // Outgoing instrumentation is off, so every request seen here is an incoming one.
        requestHook: (span, req) => {
          const url = (req as IncomingMessage).url ?? '/';
          const at = url.indexOf('?');
          redactUrl(span, at < 0 ? url : url.slice(0, at), at < 0 ? '' : url.slice(at + 1));
        },
      }),
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new UndiciInstrumentation({
        requestHook: (span, request) => {
          const at = request.path.indexOf('?');
          redactUrl(
            span,
            at < 0 ? request.path : request.path.slice(0, at),
            at < 0 ? '' : request.path.slice(at + 1),
          );
          span.setAttribute('url.full', `${request.origin}${redactPath(pathOf(request.path))}`);
        },
      }),
    ],
  });
  sdk.start();
  return sdk;
}
