/**
 * The `--import` preload that turns tracing on: `node --import ./dist/src/observability/tracing.js
 * dist/src/main.js`. With no `OTEL_*` variable asking for traces it loads nothing else,
 * so the cost of tracing while it is off is this one small module.
 */
import { tracingEnabled } from './tracing-config.js';

if (tracingEnabled(process.env)) {
  const { startTracing } = await import('./tracing-sdk.js');
  startTracing();
}
