/**
 * Tracing is off unless the standard OpenTelemetry variables ask for it. Only the
 * `--import` preload and the SDK read these: they are OpenTelemetry's own contract, not
 * the broker's configuration.
 *
 * @example
 * tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }); // true
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (exporters && exporters.length > 0) return !exporters.every((e) => e === 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

const REDACTED = '[redacted]';

// Paths whose last segment is a bearer secret (the connect session token).
const SECRET_SEGMENT = /^(\/connect\/)[^/?#]+/;

/**
 * A URL path fit for a span: the connect session token replaced.
 *
 * @example
 * redactPath('/connect/cs_abc'); // '/connect/[redacted]'
 */
export function redactPath(path: string): string {
  return path.replace(SECRET_SEGMENT, `$1${REDACTED}`);
}

/**
 * A query string fit for a span: names kept, every value replaced (authorization codes,
 * `state`, signed webhook URLs…).
 *
 * @example
 * redactQuery('code=abc&state=xyz'); // 'code=[redacted]&state=[redacted]'
 */
export function redactQuery(query: string): string {
  const q = query.startsWith('?') ? query.slice(1) : query;
  if (q === '') return '';
  return q
    .split('&')
    .map((pair) => `${pair.split('=')[0] ?? ''}=${REDACTED}`)
    .join('&');
}
