import type { AuditOrigin } from '../audit/audit-log.js';
import { saveGrant, type GrantWriterDeps } from '../connections/save.js';
import {
  insufficientScope,
  invalidRequest,
  notFound,
  upstreamUnavailable,
} from '../errors/index.js';
import { connectionMetadata } from '../providers/connection-metadata.js';
import type { ProviderRecord, TokenResult } from '../providers/types.js';
import { classifyUpstreamError } from '../providers/upstream-errors.js';
import type { ServicePrincipal } from '../services/service-store.js';
import type { DirectConnectionBody } from './schema.js';
import { STATIC_TOKEN_TYPES } from './token-types.js';

const staticToken = (accessToken: string, tokenType: string): TokenResult => ({
  accessToken,
  refreshToken: undefined,
  idToken: undefined,
  tokenType,
  expiresIn: undefined,
  scope: undefined,
});

/**
 * Connections a service creates directly, without a browser: `client_credentials` runs
 * the grant now (later renewals go through the one refresh path, src/refresh/single-flight.ts),
 * `api_key` / `basic` store the given secret encrypted as the token set's access token
 * (`Basic`: base64 of `user:password`, ready for an `Authorization: Basic` header).
 *
 * @example
 * const { connection, created } = await direct.create(service, { type: 'api_key', provider: 'notion', subject: 'acme', api_key: 'secret_…' });
 */
export function createDirectConnections(deps: GrantWriterDeps) {
  async function machineToken(provider: ProviderRecord, scopes: string[]): Promise<TokenResult> {
    if (provider.clientAuthMethod === 'none') {
      throw invalidRequest('provider: client_credentials needs a confidential client');
    }
    try {
      return await deps.oauth.clientCredentials(provider, scopes);
    } catch (e) {
      const error = classifyUpstreamError(e);
      deps.logger.warn(
        { provider: provider.key, class: error.errorClass },
        'client credentials grant failed',
      );
      if (error.permanent) {
        throw invalidRequest(
          `the provider refused the client_credentials grant (${error.errorClass})`,
        );
      }
      throw upstreamUnavailable('the provider did not answer the client_credentials grant', {
        ...(error.retryAfterSeconds === undefined
          ? {}
          : { retryAfterSeconds: error.retryAfterSeconds }),
        cause: error,
      });
    }
  }

  function tokensOf(body: DirectConnectionBody): TokenResult | undefined {
    if (body.type === 'api_key') return staticToken(body.api_key, STATIC_TOKEN_TYPES.api_key);
    if (body.type === 'basic') {
      const encoded = Buffer.from(`${body.username}:${body.password}`, 'utf8').toString('base64');
      return staticToken(encoded, STATIC_TOKEN_TYPES.basic);
    }
    return undefined;
  }

  return {
    /**
     * @throws BrokerError insufficient_scope (provider outside the policy), not_found
     *   (unknown provider), invalid_request (grant refused), upstream_unavailable.
     */
    async create(service: ServicePrincipal, body: DirectConnectionBody, origin?: AuditOrigin) {
      if (!service.allowedProviders.includes(body.provider)) {
        throw insufficientScope(`this service may not use provider "${body.provider}"`);
      }
      const provider = await deps.providers.get(body.provider);
      if (!provider) throw notFound('provider');
      const scopes = body.scopes ?? (body.type === 'client_credentials' ? provider.scopes : []);
      const tokens = tokensOf(body) ?? (await machineToken(provider, scopes));
      const granted = tokens.scope?.split(/[\s,]+/).filter(Boolean);
      const saved = await saveGrant(deps, {
        serviceId: service.id,
        providerKey: provider.key,
        subject: body.subject,
        tokens,
        scopes: granted && granted.length > 0 ? granted : scopes,
        connectionConfig: {},
        now: deps.clock.now(),
        refreshWindowSeconds: deps.refreshWindowSeconds,
        refreshKeepAliveDays: deps.refreshKeepAliveDays,
        metadata: connectionMetadata(provider, tokens.response),
        authType: body.type,
      });
      deps.audit.record({
        actorType: 'service',
        actorId: service.id,
        action: 'connection.create',
        connectionId: saved.connection.id,
        providerKey: provider.key,
        outcome: 'success',
        detail: { type: body.type, reconnected: saved.reconnected },
        origin,
      });
      return { connection: saved.connection, created: !saved.reconnected };
    },
  };
}

export type DirectConnections = ReturnType<typeof createDirectConnections>;
