import { errorResponse, type PathItems } from './shared.js';

const admin = [{ admin: [] }];
const params = { type: 'object', additionalProperties: { type: 'string' } };

const providerBody = {
  type: 'object',
  required: ['key', 'client_id'],
  description:
    'Exactly one source: `template`, `issuer` (OIDC / RFC 8414 discovery), or `authorization_endpoint` + `token_endpoint` (plain OAuth 2.0; `issuer` then only names it).',
  properties: {
    key: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{1,62}$' },
    display_name: { type: 'string' },
    template: {
      type: 'string',
      description: 'a built-in template, see /admin/providers/templates',
    },
    issuer: { type: 'string', format: 'uri' },
    authorization_endpoint: { type: 'string', format: 'uri' },
    token_endpoint: { type: 'string', format: 'uri' },
    revocation_endpoint: { type: 'string', format: 'uri' },
    client_id: { type: 'string' },
    client_secret: {
      type: ['string', 'null'],
      writeOnly: true,
      description: 'write-only; left out on PUT keeps the stored one, null removes it',
    },
    webhook_secret: {
      type: ['string', 'null'],
      writeOnly: true,
      description:
        'the secret the provider signs its webhooks with (write-only); a new value rotates it, the replaced one verifies for 24 h more; null removes it',
    },
    client_key: {
      type: ['object', 'null'],
      writeOnly: true,
      description: 'private JWK for private_key_jwt; write-only',
    },
    client_auth_method: {
      enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    },
    scopes: { type: 'array', items: { type: 'string' } },
    scope_separator: { enum: [' ', ',', '+'] },
    authorization_params: params,
    token_params: params,
    config: { ...params, description: "values of the template's provider-level placeholders" },
    api_base_url: {
      type: ['string', 'null'],
      format: 'uri',
      description:
        "the provider's API base for the proxy (https; http only to loopback outside production; no query); templates bring their own",
    },
    distinct_redirect_uri: {
      type: 'boolean',
      description:
        'use ${PUBLIC_URL}/oauth/callback/{key} as this provider’s redirect URI (mix-up defence for providers that send no RFC 9207 iss, e.g. GitHub, Slack); default false: the shared ${PUBLIC_URL}/oauth/callback',
    },
  },
};

const provider = {
  description:
    'the provider, without client_secret / client_key / webhook_secret; `status` is `misconfigured` (with `status_reason` and `status_since`) while the provider refuses the broker’s client (invalid_client, unauthorized_client) — its connections stay active, refreshes probe it every 5 minutes, and a PUT resumes them at once',
};

/** Admin management of providers and the template catalog. */
export const providerPaths: PathItems = {
  '/admin/providers': {
    post: {
      operationId: 'createProvider',
      summary: 'Register a provider',
      security: admin,
      requestBody: { content: { 'application/json': { schema: providerBody } } },
      responses: {
        '201': provider,
        '400': errorResponse,
        '401': errorResponse,
        '409': errorResponse,
        '502': errorResponse,
      },
    },
    get: {
      operationId: 'listProviders',
      summary: 'List providers',
      security: admin,
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
      ],
      responses: { '200': { description: '{data, next_cursor}' }, '401': errorResponse },
    },
  },
  '/admin/providers/templates': {
    get: {
      operationId: 'listProviderTemplates',
      summary: 'The built-in provider catalog',
      security: admin,
      responses: {
        '200': { description: '{data: [{template, display_name, …}]}' },
        '401': errorResponse,
      },
    },
  },
  '/admin/providers/{key}': {
    get: {
      operationId: 'getProvider',
      summary: 'One provider',
      security: admin,
      responses: { '200': provider, '401': errorResponse, '404': errorResponse },
    },
    put: {
      operationId: 'updateProvider',
      summary: 'Replace a provider’s configuration',
      security: admin,
      requestBody: { content: { 'application/json': { schema: providerBody } } },
      responses: {
        '200': provider,
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    delete: {
      operationId: 'deleteProvider',
      summary: 'Delete a provider; 409 while it has connections that are not revoked',
      security: admin,
      responses: {
        '204': { description: 'deleted' },
        '401': errorResponse,
        '404': errorResponse,
        '409': errorResponse,
      },
    },
  },
};
