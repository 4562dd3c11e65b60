import {
  accountMetadata,
  connectionSchema,
  errorResponse,
  page,
  ref,
  type PathItems,
} from './shared.js';

const service = [{ service: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const tokenSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_at', 'scopes', 'connection_id', 'provider'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_at: {
      type: ['string', 'null'],
      format: 'date-time',
      description: "the provider's expiry, reported up to 60 s early, never later",
    },
    scopes: { type: 'array', items: { type: 'string' } },
    connection_id: { type: 'string' },
    provider: { type: 'string' },
    id_token: { type: 'string' },
    metadata: {
      ...accountMetadata,
      description: 'the connection metadata, only when it holds some',
    },
  },
};

const tokenHeaders = {
  'Broker-Refresh-Error': {
    description: 'upstream_unavailable: a needed refresh failed; the token is still valid',
    schema: { type: 'string' },
  },
};

const tokenErrors = {
  '401': errorResponse,
  '404': { description: 'unknown, or outside the service policy (existence is not leaked)' },
  '409': {
    description:
      'reauthorization_required; the body also carries `connection_id`, for a reconnect session (POST /v1/connect-sessions {connection_id})',
  },
  '410': { description: 'revoked' },
  '503': { description: 'upstream_unavailable, with Retry-After' },
};

/** Named component schemas of this file (joined into `components.schemas`). */
export const tokenSchemas = {
  Connection: connectionSchema,
  ConnectionPage: page(ref('Connection')),
  Token: tokenSchema,
};

/** The service API over connections and tokens, `POST /oauth/token` and its metadata. */
export const tokenPaths: PathItems = {
  '/v1/connections': {
    get: {
      operationId: 'listConnections',
      summary: "Connections of the service's allowed providers",
      description: 'A `provider` filter naming a provider outside the policy answers 403.',
      security: service,
      parameters: ['provider', 'subject', 'status', 'cursor'].map((name) => ({
        name,
        in: 'query',
        schema: { type: 'string' },
      })),
      responses: {
        '200': json(ref('ConnectionPage'), 'a page; `limit` 1–100 (default 50)'),
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
      security: service,
      parameters: [idParam],
      responses: {
        '200': json(ref('Connection'), 'Connection'),
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'revokeConnection',
      summary:
        'Revoke the connection: RFC 7009 at the provider, tokens erased, status revoked; idempotent',
      security: service,
      parameters: [idParam],
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
      security: service,
      parameters: [
        idParam,
        {
          name: 'min_ttl',
          in: 'query',
          schema: { type: 'integer', minimum: 0, maximum: 3600, default: 60 },
        },
      ],
      responses: {
        '200': { ...json(ref('Token'), 'Token'), headers: tokenHeaders },
        ...tokenErrors,
      },
    },
  },
  '/v1/connections/{id}/refresh': {
    post: {
      operationId: 'refreshConnectionToken',
      summary: 'Force a refresh at the provider',
      security: service,
      parameters: [idParam],
      responses: {
        '200': { ...json(ref('Token'), 'Token'), headers: tokenHeaders },
        ...tokenErrors,
      },
    },
  },
  '/oauth/token': {
    post: {
      operationId: 'requestOAuthToken',
      summary: 'client_credentials (a broker JWT) or RFC 8693 token exchange (an upstream token)',
      description:
        'Client authentication: client_secret_basic, client_secret_post or private_key_jwt. Errors follow RFC 6749 §5.2.',
      requestBody: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['grant_type'],
              properties: Object.fromEntries(
                [
                  'grant_type',
                  'client_id',
                  'client_secret',
                  'client_assertion_type',
                  'client_assertion',
                  'resource',
                  'subject_token',
                  'subject_token_type',
                  'requested_token_type',
                ].map((p) => [p, { type: 'string' }]),
              ),
            },
          },
        },
      },
      responses: {
        '200': { description: '{access_token, token_type, expires_in[, issued_token_type]}' },
        '400': errorResponse,
        '401': errorResponse,
        '503': errorResponse,
      },
    },
  },
  '/.well-known/oauth-authorization-server': {
    get: {
      operationId: 'getAuthorizationServerMetadata',
      summary: 'RFC 8414 metadata',
      responses: { '200': { description: 'metadata' } },
    },
  },
  '/.well-known/jwks.json': {
    get: {
      operationId: 'getJwks',
      summary: 'Public keys of broker JWTs (current and retired-but-valid)',
      responses: { '200': { description: 'JWKS' } },
    },
  },
};
