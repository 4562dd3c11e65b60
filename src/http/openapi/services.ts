import { errorResponse, page, ref, type PathItems } from './shared.js';

const admin = [{ admin: [] }];
const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const nullableTime = { type: ['string', 'null'], format: 'date-time' };
const idPath = { name: 'id', in: 'path', required: true, schema: str };
const keyIdPath = { name: 'key_id', in: 'path', required: true, schema: str };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

const policy = {
  name: str,
  display_name: { type: 'string', description: 'what end users read on the connect page' },
  connection_access: {
    enum: ['own', 'provider'],
    default: 'own',
    description:
      'own: only the connections this service created; provider: every connection of its allowed providers',
  },
  allowed_providers: {
    type: 'array',
    items: str,
    description: 'keys of registered providers; an unknown key is 400',
  },
  allowed_return_to: { type: 'array', items: { type: 'string', format: 'uri' } },
  jwks: { type: 'object', description: 'public keys for private_key_jwt at /oauth/token' },
};

/** Named component schemas of this file (joined into `components.schemas`). */
export const serviceSchemas = {
  CreateServiceRequest: { type: 'object', required: ['name'], properties: policy },
  UpdateServiceRequest: {
    type: 'object',
    minProperties: 1,
    properties: {
      ...policy,
      display_name: { type: ['string', 'null'] },
      jwks: { type: ['object', 'null'] },
    },
  },
  Service: {
    type: 'object',
    required: [
      'id',
      'name',
      'display_name',
      'allowed_providers',
      'allowed_return_to',
      'connection_access',
      'client_id',
      'jwks',
      'created_at',
    ],
    properties: {
      id: str,
      ...policy,
      display_name: { type: ['string', 'null'] },
      client_id: str,
      jwks: { type: ['object', 'null'] },
      created_at: time,
    },
  },
  CreateApiKeyRequest: { type: 'object', properties: { expires_at: time } },
  ApiKey: {
    type: 'object',
    required: ['id', 'created_at', 'expires_at', 'last_used_at'],
    properties: {
      id: { type: 'string', description: "the key's non-secret part (tbk_<id>_…)" },
      created_at: time,
      expires_at: nullableTime,
      last_used_at: { ...nullableTime, description: 'written at most ~30 s late' },
    },
  },
  ServicePage: page(ref('Service')),
  ApiKeyPage: page(ref('ApiKey')),
  CreatedService: {
    allOf: [
      ref('Service'),
      {
        type: 'object',
        required: ['api_key', 'client_secret'],
        properties: { api_key: str, client_secret: str },
      },
    ],
  },
  CreatedApiKey: {
    type: 'object',
    required: ['id', 'api_key', 'created_at', 'expires_at'],
    properties: { id: str, api_key: str, created_at: time, expires_at: nullableTime },
  },
};

/** Admin management of internal services (callers of the broker) and their API keys. */
export const servicePaths: PathItems = {
  '/admin/services': {
    post: {
      operationId: 'createService',
      summary: 'Create a service; the API key and client secret appear in this response only',
      security: admin,
      requestBody: json(ref('CreateServiceRequest')),
      responses: {
        '201': { description: 'created', ...json(ref('CreatedService')) },
        '400': errorResponse,
        '401': errorResponse,
      },
    },
    get: {
      operationId: 'listServices',
      summary: 'List services',
      security: admin,
      responses: {
        '200': { description: '{data, next_cursor}', ...json(ref('ServicePage')) },
        '401': errorResponse,
      },
    },
  },
  '/admin/services/{id}': {
    get: {
      operationId: 'getService',
      summary: 'One service',
      security: admin,
      parameters: [idPath],
      responses: {
        '200': { description: 'service', ...json(ref('Service')) },
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    patch: {
      operationId: 'updateService',
      summary: "Change a service's name or policy (never returns secrets)",
      security: admin,
      parameters: [idPath],
      requestBody: json(ref('UpdateServiceRequest')),
      responses: {
        '200': { description: 'service', ...json(ref('Service')) },
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'deleteService',
      summary: 'Delete a service; its credentials stop working at once',
      security: admin,
      parameters: [idPath],
      responses: { '204': { description: 'deleted' }, '401': errorResponse, '404': errorResponse },
    },
  },
  '/admin/services/{id}/keys': {
    post: {
      operationId: 'createServiceKey',
      summary: 'Issue another API key (rotation with an overlap); the key appears only here',
      security: admin,
      parameters: [idPath],
      requestBody: json(ref('CreateApiKeyRequest')),
      responses: {
        '201': { description: 'created', ...json(ref('CreatedApiKey')) },
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    get: {
      operationId: 'listServiceKeys',
      summary: "A service's API keys (never the keys themselves)",
      security: admin,
      parameters: [idPath],
      responses: {
        '200': { description: '{data, next_cursor}', ...json(ref('ApiKeyPage')) },
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/admin/services/{id}/client-secret': {
    post: {
      operationId: 'rotateServiceClientSecret',
      summary:
        'Rotate the client secret with an overlap; the new secret appears only here, the replaced one works until previous_expires_at (default 24 h; a past time ends it at once)',
      security: admin,
      parameters: [idPath],
      requestBody: json({ type: 'object', properties: { previous_expires_at: time } }),
      responses: {
        '201': {
          description: 'rotated',
          ...json({
            type: 'object',
            required: ['client_id', 'client_secret', 'previous_expires_at'],
            properties: { client_id: str, client_secret: str, previous_expires_at: nullableTime },
          }),
        },
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/admin/services/{id}/keys/{key_id}': {
    delete: {
      operationId: 'revokeServiceKey',
      summary: 'Revoke one API key; it is 401 from then on',
      security: admin,
      parameters: [idPath, keyIdPath],
      responses: { '204': { description: 'revoked' }, '401': errorResponse, '404': errorResponse },
    },
  },
};
