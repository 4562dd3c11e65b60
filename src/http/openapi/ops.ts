import { healthSchema, notReadySchema, readinessSchema } from '../../db/readiness.js';
import { json, type PathItems } from './shared.js';

const text = (description: string, mediaType: string) => ({
  description,
  content: { [mediaType]: { schema: { type: 'string' } } },
});

/** Health, readiness, metrics and this document. */
export const opsPaths: PathItems = {
  '/healthz': {
    get: {
      operationId: 'getHealth',
      summary: 'Process alive',
      responses: { '200': json('alive', healthSchema) },
    },
  },
  '/readyz': {
    get: {
      operationId: 'getReadiness',
      summary: 'Database reachable and schema current',
      responses: {
        '200': json('ready', readinessSchema),
        '503': json('not ready: what failed', notReadySchema),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      responses: { '200': text('Prometheus text format', 'text/plain') },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      responses: {
        '200': {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  },
  '/assets/broker.css': {
    get: {
      operationId: 'getStylesheet',
      summary: 'Stylesheet of the HTML pages',
      responses: { '200': text('css', 'text/css') },
    },
  },
  '/assets/console.js': {
    get: {
      operationId: 'getConsoleScript',
      summary: "The console's copy buttons",
      responses: { '200': text('javascript', 'text/javascript') },
    },
  },
};
