import type { AuditOrigin } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { BrokerError, invalidRequest } from '../errors/index.js';
import {
  ASSERTION_ALGORITHMS,
  CLIENT_AUTH_METHODS,
  type ClientAuthenticator,
  type ClientCredentials,
} from '../services/client-auth.js';
import { isStaticTokenType } from '../static-credentials/token-types.js';
import type { ServicePolicy } from '../services/service-store.js';
import type { BrokerJwt } from './broker-jwt.js';
import type { TokenService } from './token-service.js';
import type { z } from 'zod';
import type { authorizationServerMetadataSchema, TokenEndpointResponse } from './schema.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const GRANT_TYPES = ['client_credentials', TOKEN_EXCHANGE_GRANT];
/** The upstream token handed out by a token exchange is valid for at least this long. */
const EXCHANGE_MIN_TTL_SECONDS = 60;

/** The form parameters of `POST /oauth/token` (all optional; each grant checks its own). */
export interface TokenParams extends Omit<ClientCredentials, 'authorization'> {
  grant_type: string;
  scope?: string | undefined;
  resource?: string | undefined;
  subject_token?: string | undefined;
  subject_token_type?: string | undefined;
  requested_token_type?: string | undefined;
}

export interface TokenEndpointAnswer {
  body: TokenEndpointResponse;
  headers: Record<string, string>;
}

/**
 * RFC 8414 authorization server metadata of the broker.
 *
 * @example res.json(authorizationServerMetadata('https://broker.example.com'))
 */
export const authorizationServerMetadata = (
  issuer: string,
): z.output<typeof authorizationServerMetadataSchema> => ({
  issuer,
  token_endpoint: `${issuer}/oauth/token`,
  jwks_uri: `${issuer}/.well-known/jwks.json`,
  grant_types_supported: GRANT_TYPES,
  token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
  token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
  response_types_supported: [],
});

/** Domain errors of the token read, as RFC 6749 §5.2 / RFC 8693 token endpoint errors. */
function asTokenEndpointError(error: unknown): unknown {
  if (!(error instanceof BrokerError)) return error;
  if (error.code === 'not_found') {
    return new BrokerError('invalid_target', 'resource is not a connection this client may use');
  }
  if (error.code === 'revoked' || error.code === 'reauthorization_required') {
    return new BrokerError('invalid_grant', error.message);
  }
  return error;
}

/**
 * `POST /oauth/token`: client authentication, then `client_credentials` (a broker JWT)
 * or RFC 8693 token exchange (the upstream access token of the connection in `resource`).
 *
 * @example
 * const { body, headers } = await endpoint.handle(req.headers.authorization, params);
 */
export function createTokenEndpoint(deps: {
  clients: ClientAuthenticator;
  jwt: BrokerJwt;
  tokens: TokenService;
  clock: Clock;
}) {
  async function exchange(
    client: ServicePolicy,
    p: TokenParams,
    origin: AuditOrigin | undefined,
  ): Promise<TokenEndpointAnswer> {
    if (!p.resource) throw invalidRequest('resource (a connection id) is required');
    if (!p.subject_token) throw invalidRequest('subject_token is required');
    if (p.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (p.requested_token_type !== undefined && p.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    const subject = await deps.jwt.verify(p.subject_token);
    if (subject?.sub !== client.id) {
      throw invalidRequest('subject_token is not a valid broker token of this client');
    }
    // `read` refuses by rejecting, never by throwing: its value may be known at once.
    const read = await Promise.resolve(
      deps.tokens.read(client, p.resource, {
        minTtlSeconds: EXCHANGE_MIN_TTL_SECONDS,
        action: 'token.exchange',
        origin,
      }),
    ).catch((error: unknown) => {
      throw asTokenEndpointError(error);
    });
    const { token } = read;
    const body: TokenEndpointResponse = {
      access_token: token.accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      // Static credentials keep their own scheme (ApiKey, Basic); OAuth tokens are Bearer.
      token_type: isStaticTokenType(token.tokenType) ? token.tokenType : 'Bearer',
    };
    if (token.expiresAt) {
      body.expires_in = Math.max(
        0,
        Math.floor((token.expiresAt.getTime() - deps.clock.now().getTime()) / 1000),
      );
    }
    if (token.scopes.length > 0) body.scope = token.scopes.join(' ');
    return {
      body,
      headers: read.refreshError ? { 'Broker-Refresh-Error': read.refreshError } : {},
    };
  }

  return {
    /**
     * `origin` (request id, client IP) goes into the audit trail of a token exchange.
     * @throws BrokerError unsupported_grant_type, invalid_client, invalid_request,
     *   invalid_target, invalid_grant, upstream_unavailable.
     */
    async handle(
      authorization: string | undefined,
      p: TokenParams,
      origin?: AuditOrigin,
    ): Promise<TokenEndpointAnswer> {
      if (!GRANT_TYPES.includes(p.grant_type)) {
        throw new BrokerError(
          'unsupported_grant_type',
          `grant_type ${p.grant_type} is not supported`,
        );
      }
      const client = await deps.clients.authenticate({ authorization, ...p });
      if (p.grant_type === TOKEN_EXCHANGE_GRANT) return exchange(client, p, origin);
      const { token, expiresIn } = await deps.jwt.issue(client.id);
      return {
        body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn },
        headers: {},
      };
    },
  };
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>;
