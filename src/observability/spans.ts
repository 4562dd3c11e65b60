import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The broker's own spans. With tracing off, `@opentelemetry/api` hands out no-op spans,
 * so these cost a function call.
 */
const tracer = trace.getTracer('token-broker');

// The class name only: an error message may quote a provider's answer.
const failed = (span: Span, error: unknown) =>
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.name : 'error',
  });

/**
 * Runs `fn` inside a span named `name`; an exception marks the span failed and is rethrown.
 *
 * @example
 * await withSpan('token.refresh', { provider: p.key }, () => refreshOnce(connection));
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Methods that only read a cache, and `guard` (a proxied call, traced by the undici
 * instrumentation itself): a span each would be noise.
 */
const UNTRACED_METHODS = new Set(['configuration', 'guard']);

/**
 * Wraps every asynchronous method of a provider client whose first argument is a provider
 * record in a `provider.<method>` span carrying the provider key (never tokens or other
 * arguments). Synchronous results pass through untouched.
 *
 * @example
 * const oauth = traceProviderCalls(createProviderOAuth({ timeoutSeconds: 10 }));
 */
export function traceProviderCalls<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (UNTRACED_METHODS.has(property)) return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const first = args[0] as { key?: unknown } | undefined;
        if (typeof first?.key !== 'string') return method.apply(target, args);
        const attributes = { 'token_broker.provider': first.key };
        return tracer.startActiveSpan(`provider.${property}`, { attributes }, (span) => {
          let result: unknown;
          try {
            result = method.apply(target, args);
          } catch (error) {
            failed(span, error);
            span.end();
            throw error;
          }
          if (!(result instanceof Promise)) {
            span.end();
            return result;
          }
          return result.then(
            (ok: unknown) => {
              span.end();
              return ok;
            },
            (error: unknown) => {
              failed(span, error);
              span.end();
              throw error;
            },
          );
        });
      };
    },
  });
}

/**
 * Exports the spans still buffered; called before the process exits. A no-op when tracing
 * is off.
 */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = provider.getDelegate?.() as { forceFlush?: () => Promise<void> } | undefined;
  await delegate?.forceFlush?.().catch(() => undefined);
}
