import {
  createdApiKeySchema,
  createdServiceSchema,
  rotatedClientSecretSchema,
  serviceSchema,
} from '../../services/present.js';
import {
  createKeyBody,
  createServiceBody,
  rotateClientSecretBody,
  serviceKeyParams,
  serviceParams,
  updateServiceBody,
} from '../../services/schema.js';
import { schemas } from './components.js';
import {
  adminAuth,
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  type PathItems,
} from './shared.js';

const idParameter = pathParameters(serviceParams);

/** Admin management of internal services (callers of the broker) and their API keys. */
export const servicePaths: PathItems = {
  '/admin/services': {
    post: {
      operationId: 'createService',
      summary: 'Create a service; the API key and client secret appear in this response only',
      security: adminAuth,
      requestBody: jsonBody(createServiceBody),
      responses: {
        '201': json('created', createdServiceSchema),
        '400': errorResponse,
        '401': errorResponse,
      },
    },
    get: {
      operationId: 'listServices',
      summary: 'List services',
      security: adminAuth,
      responses: {
        '200': json('every service (one page)', schemas.ServicePage),
        '401': errorResponse,
      },
    },
  },
  '/admin/services/{id}': {
    get: {
      operationId: 'getService',
      summary: 'One service',
      security: adminAuth,
      parameters: idParameter,
      responses: {
        '200': json('service', serviceSchema),
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    patch: {
      operationId: 'updateService',
      summary: "Change a service's name or policy (never returns secrets)",
      security: adminAuth,
      parameters: idParameter,
      requestBody: jsonBody(updateServiceBody),
      responses: {
        '200': json('service', serviceSchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'deleteService',
      summary: 'Delete a service; its credentials stop working at once',
      security: adminAuth,
      parameters: idParameter,
      responses: { '204': { description: 'deleted' }, '401': errorResponse, '404': errorResponse },
    },
  },
  '/admin/services/{id}/keys': {
    post: {
      operationId: 'createServiceKey',
      summary: 'Issue another API key (rotation with an overlap); the key appears only here',
      security: adminAuth,
      parameters: idParameter,
      requestBody: { ...jsonBody(createKeyBody), required: false },
      responses: {
        '201': json('created', createdApiKeySchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    get: {
      operationId: 'listServiceKeys',
      summary: "A service's API keys (never the keys themselves)",
      security: adminAuth,
      parameters: idParameter,
      responses: {
        '200': json('every key (one page)', schemas.ApiKeyPage),
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
      security: adminAuth,
      parameters: idParameter,
      requestBody: { ...jsonBody(rotateClientSecretBody), required: false },
      responses: {
        '201': json('rotated', rotatedClientSecretSchema),
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
      security: adminAuth,
      parameters: pathParameters(serviceKeyParams),
      responses: { '204': { description: 'revoked' }, '401': errorResponse, '404': errorResponse },
    },
  },
};
