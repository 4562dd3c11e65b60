import { errorResponse, type PathItems } from './shared.js';

/** Health, readiness, metrics and this document. */
export const opsPaths: PathItems = {
  '/healthz': {
    get: {
      operationId: 'getHealth',
      summary: 'Process alive',
      responses: { '200': { description: 'ok' } },
    },
  },
  '/readyz': {
    get: {
      operationId: 'getReadiness',
      summary: 'Database reachable and schema current',
      responses: { '200': { description: 'ready' }, '503': errorResponse },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      responses: { '200': { description: 'text' } },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1' } },
    },
  },
  '/assets/broker.css': {
    get: {
      operationId: 'getStylesheet',
      summary: 'Stylesheet of the HTML pages',
      responses: { '200': { description: 'css' } },
    },
  },
  '/assets/console.js': {
    get: {
      operationId: 'getConsoleScript',
      summary: "The console's copy buttons",
      responses: { '200': { description: 'javascript' } },
    },
  },
};
