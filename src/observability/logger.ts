import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { CENSOR, censorSecrets, SECRET_FIELDS } from './redact.js';

export type { Logger } from 'pino';

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
 * The log's default destination: stdout, written synchronously (as Node writes stdout
 * to a pipe or file) but in batches — a line waits in memory until 4 KiB have
 * gathered or {@link FLUSH_MS} have passed — so a busy broker makes one write call per
 * few dozen lines rather than per line. Whatever is still buffered is written when the
 * process exits, however it exits short of SIGKILL (uncaught exceptions included), and
 * by `logger.flush()` on a graceful stop.
 */
const FLUSH_MS = 100;
const BATCH_BYTES = 4096;

let stdout: ReturnType<typeof pino.destination> | undefined;

/** One buffered stdout for every logger of the process, so their lines keep their order. */
function stdoutDestination(): DestinationStream {
  if (stdout) return stdout;
  const dest = pino.destination({
    dest: 1,
    sync: true,
    minLength: BATCH_BYTES,
    periodicFlush: FLUSH_MS,
  });
  process.once('exit', () => dest.flushSync());
  stdout = dest;
  return dest;
}

/**
 * Lines for a person at a terminal: one coloured line each, written synchronously (no
 * worker thread, so nothing is lost on exit). Secrets are censored before this stream
 * sees a line, as for JSON.
 */
function prettyDestination(): DestinationStream {
  return pinoPretty({
    destination: 1,
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
}

/** `auto` is pretty when stdout is a terminal, JSON for pipes, files and log collectors. */
function destinationFor(format: 'auto' | 'json' | 'pretty'): DestinationStream {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  return pretty ? prettyDestination() : stdoutDestination();
}

/** Child bindings skip `formatters`: a secret-named binding is censored by a serializer. */
const censoringSerializers = Object.fromEntries([...SECRET_FIELDS].map((f) => [f, () => CENSOR]));

/**
 * Logs (pino; JSON unless `format` asks for people's lines) with secrets censored: `censorSecrets` over every line, and (by serializer) a
 * secret-named child binding. `destination` lets tests capture output.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.info({ connection_id }, 'refreshed');
 */
export function createLogger(options: {
  level: string;
  format?: 'auto' | 'json' | 'pretty';
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'token-broker' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => censorSecrets(obj),
      },
      serializers: censoringSerializers,
      mixin: traceIds,
    },
    options.destination ?? destinationFor(options.format ?? 'json'),
  );
}
