import { adminConnectionPaths } from './admin-connections.js';
import { connectPaths } from './connect.js';
import { consolePaths } from './console.js';
import { oauthTokenPaths } from './oauth-token.js';
import { opsPaths } from './ops.js';
import { providerWebhookPaths } from './provider-webhooks.js';
import { providerPaths } from './providers.js';
import { proxyPaths } from './proxy.js';
import { serviceApiPaths } from './service-api.js';
import { serviceConnectPaths } from './service-connect.js';
import { servicePaths } from './services.js';
import { componentSchemas, errorAnswer, type PathItems } from './shared.js';
import { webhookPaths } from './webhooks.js';

/** Joins path sets; two sets describing different methods of one path are merged. */
const mergePaths = (...sets: PathItems[]): PathItems => {
  const all: PathItems = {};
  for (const set of sets) {
    for (const [path, item] of Object.entries(set)) all[path] = { ...all[path], ...item };
  }
  return all;
};

/**
 * The OpenAPI 3.1 description of the HTTP contract, served at /openapi.json. Bodies,
 * parameters and answers are the zod schemas the routes parse with and the presenters
 * are typed by (components.ts names them); each route file has its operations in a file
 * of the same name here. test/http/openapi.test.ts fails when a mounted route is missing,
 * test/http/openapi-conformance.test.ts when an answer differs from its schema.
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
      schemas: componentSchemas(),
      responses: { Error: errorAnswer('Error') },
    },
    paths: mergePaths(
      opsPaths,
      servicePaths,
      adminConnectionPaths,
      consolePaths,
      webhookPaths,
      providerPaths,
      connectPaths,
      serviceApiPaths,
      serviceConnectPaths,
      oauthTokenPaths,
      providerWebhookPaths,
      proxyPaths,
    ),
  };
}
