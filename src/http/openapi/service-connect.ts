import {
  deviceSessionBody,
  deviceSessionParams,
  deviceSessionSchema,
} from '../../device/schema.js';
import { availableProviderListSchema } from '../../providers/present.js';
import { directConnectionSchema } from '../../static-credentials/present.js';
import { directConnectionBody } from '../../static-credentials/schema.js';
import {
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  serviceAuth,
  type PathItems,
} from './shared.js';

/**
 * The service API's ways to connect besides the browser flow, and the providers a service
 * may use (`src/http/routes/service-connect.ts`).
 */
export const serviceConnectPaths: PathItems = {
  '/v1/providers': {
    get: {
      operationId: 'listAvailableProviders',
      summary: 'The providers this service may use (no secrets)',
      security: serviceAuth,
      responses: {
        '200': json('providers', availableProviderListSchema),
        '401': errorResponse,
      },
    },
  },
  '/v1/connections': {
    post: {
      operationId: 'createConnection',
      summary: 'Create a connection without a browser: client_credentials, api_key or basic',
      description:
        'client_credentials runs the grant now and again whenever the token nears expiry; api_key and basic store the secret encrypted. All are read at GET /v1/connections/{id}/token (token_type Bearer, ApiKey or Basic). 201 when created, 200 when an existing (provider, subject) was replaced.',
      security: serviceAuth,
      requestBody: jsonBody(directConnectionBody),
      responses: {
        '201': json('created', directConnectionSchema),
        '200': json('an existing (provider, subject) replaced', directConnectionSchema),
        '400': errorResponse,
        '401': errorResponse,
        '403': errorResponse,
        '404': errorResponse,
        '503': errorResponse,
      },
    },
  },
  '/v1/device-sessions': {
    post: {
      operationId: 'createDeviceSession',
      summary: 'Start an RFC 8628 device authorization; show user_code at verification_uri',
      security: serviceAuth,
      requestBody: jsonBody(deviceSessionBody),
      responses: {
        '201': json('started', deviceSessionSchema),
        '400': errorResponse,
        '401': errorResponse,
        '403': errorResponse,
        '404': errorResponse,
        '503': errorResponse,
      },
    },
  },
  '/v1/device-sessions/{id}': {
    get: {
      operationId: 'getDeviceSession',
      summary: 'The device session, polled at the provider first when a poll is due',
      security: serviceAuth,
      parameters: pathParameters(deviceSessionParams),
      responses: {
        '200': json('the session', deviceSessionSchema),
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
};
