import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field paths that may carry a secret. Log calls pass structured objects, never raw
 * bodies or URLs, and these paths are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.api_key',
  '*.secret',
  '*.token',
  '*.code',
  '*.code_verifier',
  '*.subject_token',
  '*.client_assertion',
  '*.password',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'api_key',
  'secret',
  'token',
  'code',
  'code_verifier',
  'subject_token',
  'client_assertion',
  'password',
];

/**
 * The active span's ids on every line written inside one, so logs and traces join up.
 * Without tracing there is no active span and this adds nothing.
 */
function traceIds(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}

/**
 * JSON logs (pino) with secrets censored. `destination` lets tests capture output.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.info({ connection_id }, 'refreshed');
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'token-broker' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceIds,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
