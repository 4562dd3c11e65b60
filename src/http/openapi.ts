/**
 * The OpenAPI 3.1 description of the HTTP contract, served at /openapi.json.
 * test/http/openapi.test.ts fails when a mounted route is missing here.
 */
export function buildOpenApi(publicUrl: string) {
  const error = { $ref: '#/components/responses/Error' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Token Broker',
      version: '1.0.0',
      description: 'Self-hosted OAuth token broker. Errors are `{error, error_description}`.',
    },
    servers: [{ url: publicUrl }],
    components: {
      securitySchemes: {
        service: { type: 'http', scheme: 'bearer', description: 'API key or broker JWT' },
        admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_TOKEN' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'error_description'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
        },
      },
      responses: {
        Error: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    paths: {
      '/healthz': {
        get: { summary: 'Process alive', responses: { '200': { description: 'ok' } } },
      },
      '/readyz': {
        get: {
          summary: 'Database reachable and schema current',
          responses: { '200': { description: 'ready' }, '503': error },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text' } } },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/assets/broker.css': {
        get: {
          summary: 'Stylesheet of the HTML pages',
          responses: { '200': { description: 'css' } },
        },
      },
    } as Record<string, unknown>,
  };
}
