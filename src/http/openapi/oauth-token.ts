import {
  authorizationServerMetadataSchema,
  jwksSchema,
  tokenEndpointResponseSchema,
  tokenForm,
} from '../../tokens/schema.js';
import { errorResponse, json, jsonBody, type PathItems } from './shared.js';

/** `POST /oauth/token` and its metadata (`src/http/routes/oauth-token.ts`). */
export const oauthTokenPaths: PathItems = {
  '/oauth/token': {
    post: {
      operationId: 'requestOAuthToken',
      summary: 'client_credentials (a broker JWT) or RFC 8693 token exchange (an upstream token)',
      description:
        'Client authentication: client_secret_basic, client_secret_post or private_key_jwt. Errors follow RFC 6749 §5.2.',
      requestBody: jsonBody(tokenForm, 'application/x-www-form-urlencoded'),
      responses: {
        '200': json('the token (RFC 6749 §5.1, RFC 8693 §2.2.1)', tokenEndpointResponseSchema),
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
      responses: { '200': json('metadata', authorizationServerMetadataSchema) },
    },
  },
  '/.well-known/jwks.json': {
    get: {
      operationId: 'getJwks',
      summary: 'Public keys of broker JWTs (current and retired-but-valid)',
      responses: { '200': json('JWKS', jwksSchema) },
    },
  },
};
