import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { unboundedMemoryAdapter } from './memory-adapter.js';

export interface UpstreamClient {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  jwks?: { keys: unknown[] };
  [k: string]: unknown;
}

export interface UpstreamOptions {
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Rotate refresh tokens on every use (default true); oidc-provider detects reuse. */
  rotateRefreshTokens?: boolean;
  clients?: UpstreamClient[];
  features?: Configuration['features'];
  /**
   * Keep every grant and token (default: oidc-provider's memory store, which evicts
   * beyond 1000 entries shared by all providers in the process). For tests holding
   * hundreds of grants.
   */
  unboundedStore?: boolean;
  /**
   * Whether revoking a token revokes every token of its grant (default true, as
   * oidc-provider does). Off, the provider revokes only the token presented, as many do;
   * implies `unboundedStore`.
   */
  revokeGrant?: boolean;
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

/**
 * A real OpenID Provider (oidc-provider, OpenID Certified) on 127.0.0.1 as the broker's
 * upstream in tests: discovery, code + PKCE, refresh rotation with reuse detection,
 * revocation, introspection. It counts the grants it served.
 *
 * @example
 * const upstream = await startUpstream({ clients: [{ client_id: 'broker', client_secret: 's', redirect_uris: [cb] }] });
 * const tokens = await upstream.issueTokens('broker', 'alice');
 */
export async function startUpstream(options: UpstreamOptions = {}) {
  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const grants: { grant_type: string; client_id: string | undefined }[] = [];
  const grantErrors: { grant_type: string; error: string }[] = [];

  const provider = new Provider(issuer, {
    ...(options.unboundedStore || options.revokeGrant === false
      ? { adapter: unboundedMemoryAdapter({ revokeGrant: options.revokeGrant ?? true }) }
      : {}),
    clients: (options.clients ?? []).map((c) => ({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...c,
    })) as Configuration['clients'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true, allowedPolicy: () => true },
      introspection: { enabled: true, allowedPolicy: () => true },
      ...options.features,
    } as Configuration['features'],
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: 600,
    },
    rotateRefreshToken: () => options.rotateRefreshTokens ?? true,
    ...(options.revokeGrant === false ? { revokeGrantPolicy: () => false } : {}),
    issueRefreshToken: () => true,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api'],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    // Tests run without a proxy; cookies over http on 127.0.0.1.
    cookies: { keys: ['test-cookie-key'] },
    // oidc-provider's own SSRF dispatcher refuses loopback, where the tests serve client JWKS.
    fetch: (url, init) => {
      const plain = { ...init };
      delete (plain as { dispatcher?: unknown }).dispatcher;
      return fetch(url, plain);
    },
  });
  provider.on('grant.success', (ctx) => {
    grants.push({
      grant_type: String(ctx.oidc.params?.grant_type),
      client_id: ctx.oidc.client?.clientId,
    });
  });
  provider.on('grant.error', (ctx, error: Error & { error?: string }) => {
    grantErrors.push({
      grant_type: String(ctx.oidc.params?.grant_type),
      error: error.error ?? error.message,
    });
  });
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));

  return {
    issuer,
    provider,
    /** Every successful grant, in order (`grant_type`, `client_id`). */
    grants,
    grantErrors,
    refreshGrants: () => grants.filter((g) => g.grant_type === 'refresh_token').length,

    /** Mints a real grant with a refresh and an access token, as if the user had consented. */
    async issueTokens(
      clientId: string,
      accountId: string,
      scope = 'openid offline_access api',
    ): Promise<IssuedTokens> {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error(`unknown upstream client ${clientId}`);
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const common = { accountId, client, grantId, scope, gty: 'authorization_code' };
      const refresh = new provider.RefreshToken({ ...common });
      const access = new provider.AccessToken({ ...common });
      return {
        access_token: await access.save(),
        refresh_token: await refresh.save(),
        expires_in: access.expiration,
        scope,
      };
    },

    /** Introspects a token as the given client would (RFC 7662). */
    async introspect(
      clientId: string,
      clientSecret: string,
      token: string,
    ): Promise<{ active: boolean; [k: string]: unknown }> {
      const res = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }),
      });
      return (await res.json()) as { active: boolean };
    },

    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export type Upstream = Awaited<ReturnType<typeof startUpstream>>;
