import { errorResponse, type PathItems } from './shared.js';

const admin = [{ admin: [] }];
const serviceBody = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    display_name: { type: 'string', description: 'what end users read on the connect page' },
    connection_access: {
      enum: ['own', 'provider'],
      default: 'own',
      description:
        'own: only the connections this service created; provider: every connection of its allowed providers',
    },
    allowed_providers: { type: 'array', items: { type: 'string' } },
    allowed_return_to: { type: 'array', items: { type: 'string', format: 'uri' } },
    jwks: { type: 'object', description: 'public keys for private_key_jwt at /oauth/token' },
  },
};

/** Admin management of internal services (callers of the broker). */
export const servicePaths: PathItems = {
  '/admin/services': {
    post: {
      summary: 'Create a service; the API key and client secret appear in this response only',
      security: admin,
      requestBody: { content: { 'application/json': { schema: serviceBody } } },
      responses: { '201': { description: 'created' }, '400': errorResponse, '401': errorResponse },
    },
    get: {
      summary: 'List services',
      security: admin,
      responses: { '200': { description: '{data, next_cursor}' }, '401': errorResponse },
    },
  },
  '/admin/services/{id}': {
    get: {
      summary: 'One service',
      security: admin,
      responses: { '200': { description: 'service' }, '404': errorResponse },
    },
    delete: {
      summary: 'Delete a service; its credentials stop working at once',
      security: admin,
      responses: { '204': { description: 'deleted' }, '404': errorResponse },
    },
  },
};
