import { providerSchema, providerTemplateListSchema } from '../../providers/present.js';
import {
  providerBody,
  providerListQuery,
  providerParams,
  providerUpdateBody,
} from '../../providers/schema.js';
import { schemas } from './components.js';
import {
  adminAuth,
  errorResponse,
  json,
  jsonBody,
  pathParameters,
  queryParameters,
  type PathItems,
} from './shared.js';

const keyParameter = pathParameters(providerParams);
const sources =
  'Exactly one source: `template`, `issuer` (OIDC / RFC 8414 discovery), or `authorization_endpoint` + `token_endpoint` (plain OAuth 2.0; `issuer` then only names it). `client_secret`, `client_key` and `webhook_secret` are write-only.';

/** Admin management of providers and the built-in provider templates. */
export const providerPaths: PathItems = {
  '/admin/providers': {
    post: {
      operationId: 'createProvider',
      summary: 'Register a provider',
      description: sources,
      security: adminAuth,
      requestBody: jsonBody(providerBody),
      responses: {
        '201': json('registered', providerSchema),
        '400': errorResponse,
        '401': errorResponse,
        '409': errorResponse,
        '502': errorResponse,
      },
    },
    get: {
      operationId: 'listProviders',
      summary: 'List providers',
      security: adminAuth,
      parameters: queryParameters(providerListQuery),
      responses: {
        '200': json('a page', schemas.ProviderPage),
        '400': errorResponse,
        '401': errorResponse,
      },
    },
  },
  '/admin/providers/templates': {
    get: {
      operationId: 'listProviderTemplates',
      summary: 'The built-in provider templates',
      security: adminAuth,
      responses: {
        '200': json('every template', providerTemplateListSchema),
        '401': errorResponse,
      },
    },
  },
  '/admin/providers/{key}': {
    get: {
      operationId: 'getProvider',
      summary: 'One provider',
      security: adminAuth,
      parameters: keyParameter,
      responses: {
        '200': json('the provider', providerSchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
      },
    },
    put: {
      operationId: 'updateProvider',
      summary: 'Replace a provider’s configuration',
      description: `${sources} Left out on PUT, a write-only secret is kept; null removes it.`,
      security: adminAuth,
      parameters: keyParameter,
      requestBody: jsonBody(providerUpdateBody),
      responses: {
        '200': json('the provider', providerSchema),
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
        '502': errorResponse,
      },
    },
    delete: {
      operationId: 'deleteProvider',
      summary: 'Delete a provider; 409 while it has connections that are not revoked',
      security: adminAuth,
      parameters: keyParameter,
      responses: {
        '204': { description: 'deleted' },
        '400': errorResponse,
        '401': errorResponse,
        '404': errorResponse,
        '409': errorResponse,
      },
    },
  },
};
