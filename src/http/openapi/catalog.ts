import { errorResponse, ref, type PathItems } from './shared.js';

const service = [{ service: [] }];
const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const str = { type: 'string' };
const strings = { type: 'array', items: str };

const deviceSession = {
  type: 'object',
  required: [
    'id',
    'provider',
    'subject',
    'status',
    'user_code',
    'verification_uri',
    'interval',
    'expires_at',
  ],
  properties: {
    id: str,
    provider: str,
    subject: str,
    status: { enum: ['pending', 'completed', 'denied', 'expired', 'failed'] },
    user_code: str,
    verification_uri: str,
    verification_uri_complete: str,
    interval: { type: 'integer', description: 'seconds between polls (grows on slow_down)' },
    expires_at: { type: 'string', format: 'date-time' },
    connection_id: { type: ['string', 'null'], description: 'set once completed' },
    error: { type: ['string', 'null'], description: 'access_denied, expired_token, …' },
  },
};

const common = { provider: str, subject: str, scopes: strings };
const directBody = {
  oneOf: [
    {
      type: 'object',
      required: ['type', 'provider', 'subject'],
      properties: { type: { const: 'client_credentials' }, ...common },
    },
    {
      type: 'object',
      required: ['type', 'provider', 'subject', 'api_key'],
      properties: {
        type: { const: 'api_key' },
        ...common,
        api_key: { type: 'string', writeOnly: true },
      },
    },
    {
      type: 'object',
      required: ['type', 'provider', 'subject', 'username', 'password'],
      properties: {
        type: { const: 'basic' },
        ...common,
        username: str,
        password: { type: 'string', writeOnly: true },
      },
    },
  ],
};

const availableProvider = {
  type: 'object',
  properties: {
    key: str,
    display_name: str,
    template: { type: ['string', 'null'] },
    scopes: strings,
    grant_types: strings,
    connection_config: {
      type: 'array',
      description: 'values a connect session must give in connection_config',
      items: { type: 'object', properties: { name: str, description: str, pattern: str } },
    },
    metadata_fields: { ...strings, description: 'extras kept as the Token metadata' },
  },
};

/** Named component schemas of this file (joined into `components.schemas`). */
export const catalogSchemas = {
  AvailableProvider: availableProvider,
  AvailableProviderList: {
    type: 'object',
    required: ['data'],
    properties: { data: { type: 'array', items: ref('AvailableProvider') } },
  },
  CreateConnectionRequest: directBody,
  CreateDeviceSessionRequest: {
    type: 'object',
    required: ['provider', 'subject'],
    properties: common,
  },
  DeviceSession: deviceSession,
};

/** `GET /v1/providers`, `POST /v1/connections`, device sessions. */
export const catalogPaths: PathItems = {
  '/v1/providers': {
    get: {
      operationId: 'listAvailableProviders',
      summary: 'The providers this service may use (no secrets)',
      security: service,
      responses: {
        '200': json(ref('AvailableProviderList'), 'providers'),
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
      security: service,
      requestBody: { content: { 'application/json': { schema: ref('CreateConnectionRequest') } } },
      responses: {
        '201': { description: 'Connection, plus `type`' },
        '200': { description: 'Connection (replaced), plus `type`' },
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
      security: service,
      requestBody: {
        content: {
          'application/json': {
            schema: ref('CreateDeviceSessionRequest'),
          },
        },
      },
      responses: {
        '201': json(ref('DeviceSession'), 'DeviceSession'),
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
      security: service,
      parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
      responses: {
        '200': json(ref('DeviceSession'), 'DeviceSession'),
        '401': errorResponse,
        '404': errorResponse,
      },
    },
  },
};
