import { adminPaths, adminSchemas, consolePaths } from './admin.js';
import { catalogPaths, catalogSchemas } from './catalog.js';
import { connectPaths } from './connect.js';
import { opsPaths } from './ops.js';
import { providerWebhookPaths } from './provider-webhooks.js';
import { providerPaths } from './providers.js';
import { proxyPaths } from './proxy.js';
import { serviceSchemas, servicePaths } from './services.js';
import type { PathItems } from './shared.js';
import { tokenPaths, tokenSchemas } from './tokens.js';
import { webhookPaths, webhookSchemas } from './webhooks.js';

/** Joins path sets; two sets describing different methods of one path are merged. */
const mergePaths = (...sets: PathItems[]): PathItems => {
  const all: PathItems = {};
  for (const set of sets) {
    for (const [path, item] of Object.entries(set)) all[path] = { ...all[path], ...item };
  }
  return all;
};

/**
 * The OpenAPI 3.1 description of the HTTP contract, served at /openapi.json. Each domain
 * keeps its paths in a file of its own here; test/http/openapi.test.ts fails when a
 * mounted route is missing.
 */
export function buildOpenApi(publicUrl: string) {
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
        ...tokenSchemas,
        ...adminSchemas,
        ...catalogSchemas,
        ...serviceSchemas,
        ...webhookSchemas,
      },
      responses: {
        Error: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    paths: mergePaths(
      opsPaths,
      servicePaths,
      adminPaths,
      consolePaths,
      webhookPaths,
      providerPaths,
      connectPaths,
      tokenPaths,
      catalogPaths,
      providerWebhookPaths,
      proxyPaths,
    ),
  };
}
