import { connectionSchema } from '../../connections/present.js';
import { serviceConnectionFilters } from '../../connections/schemas.js';
import { serviceConnectionParams } from '../token-read.js';
import { tokenSchema } from '../../tokens/present.js';
import { tokenQuery } from '../../tokens/schema.js';
import { schemas } from './components.js';
import {
  errorAnswer,
  errorResponse,
  json,
  pathParameters,
  queryParameters,
  serviceAuth,
  type PathItems,
} from './shared.js';

const idParameter = pathParameters(serviceConnectionParams);

const token = {
  ...json('Token', tokenSchema),
  headers: {
    'Broker-Refresh-Error': {
      description: 'upstream_unavailable: a needed refresh failed; the token is still valid',
      schema: { type: 'string' },
    },
  },
};

const tokenErrors = {
  '400': errorResponse,
  '401': errorResponse,
  '404': errorAnswer('unknown, or outside the service policy (existence is not leaked)'),
  '409': errorAnswer(
    'reauthorization_required; the body also carries `connection_id`, for a reconnect session (POST /v1/connect-sessions {connection_id})',
  ),
  '410': errorAnswer('revoked'),
  '429': errorAnswer('rate_limited (a forced refresh too soon), with Retry-After'),
  '503': errorAnswer('upstream_unavailable, with Retry-After'),
};

/** The service API over connections and tokens (`src/http/routes/service-api.ts`). */
export const serviceApiPaths: PathItems = {
  '/v1/connections': {
    get: {
      operationId: 'listConnections',
      summary: 'The connections this service may see, newest first',
      description: 'A `provider` filter naming a provider outside the policy answers 403.',
      security: serviceAuth,
      parameters: queryParameters(serviceConnectionFilters),
      responses: {
        '200': json('a page', schemas.ConnectionPage),
        '400': errorResponse,
        '401': errorResponse,
        '403': errorResponse,
      },
    },
  },
  '/v1/connections/{id}': {
    get: {
      operationId: 'getConnection',
      summary: 'One connection (never tokens)',
      security: serviceAuth,
      parameters: idParameter,
      responses: {
        '200': json('Connection', connectionSchema),
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'revokeConnection',
      summary:
        'Revoke the connection: RFC 7009 at the provider, tokens erased, status revoked; idempotent',
      security: serviceAuth,
      parameters: idParameter,
      responses: {
        '204': { description: 'revoked (also when it already was)' },
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
  '/v1/connections/{id}/token': {
    get: {
      operationId: 'getConnectionToken',
      summary: 'An access token valid for at least min_ttl more seconds, refreshed first if needed',
      security: serviceAuth,
      parameters: [...idParameter, ...queryParameters(tokenQuery)],
      responses: { '200': token, ...tokenErrors },
    },
  },
  '/v1/connections/{id}/refresh': {
    post: {
      operationId: 'refreshConnectionToken',
      summary: 'Force a refresh at the provider',
      security: serviceAuth,
      parameters: idParameter,
      responses: { '200': token, ...tokenErrors },
    },
  },
};
