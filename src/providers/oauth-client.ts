import * as client from 'openid-client';
import { request, type Dispatcher } from 'undici';
import { providerDispatcher, providerFetch } from './egress.js';
import { findTemplate } from './templates/index.js';
import { classifyUpstreamError } from './upstream-errors.js';
import type { ProviderRecord, TokenResult } from './types.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether plain-http calls to this provider are allowed: loopback only (tests, local IdPs). */
export function isLoopbackHttp(metadata: client.ServerMetadata): boolean {
  const urls = [metadata.issuer, metadata.authorization_endpoint, metadata.token_endpoint].filter(
    (u): u is string => typeof u === 'string',
  );
  return urls.some((u) => {
    const url = new URL(u);
    return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  });
}

async function clientAuth(p: ProviderRecord): Promise<client.ClientAuth> {
  switch (p.clientAuthMethod) {
    case 'client_secret_post':
      return client.ClientSecretPost(p.clientSecret);
    case 'private_key_jwt': {
      if (!p.clientKey) throw new Error(`provider ${p.key} has no private key for private_key_jwt`);
      const { importJWK } = await import('jose');
      const alg = typeof p.clientKey.alg === 'string' ? p.clientKey.alg : 'RS256';
      const key = (await importJWK(p.clientKey, alg)) as client.CryptoKey;
      return client.PrivateKeyJwt({ key, ...(p.clientKey.kid ? { kid: p.clientKey.kid } : {}) });
    }
    case 'none':
      return client.None();
    default:
      return client.ClientSecretBasic(p.clientSecret);
  }
}

/** Non-standard error codes some providers use, and their RFC 6749 equivalents. */
const ERROR_ALIASES: Record<string, string> = {
  bad_verification_code: 'invalid_grant',
  bad_refresh_token: 'invalid_grant',
  invalid_code: 'invalid_grant',
  invalid_refresh_token: 'invalid_grant',
  incorrect_client_credentials: 'invalid_client',
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A form-encoded token response (old GitHub, some Facebook-era APIs) as JSON; numbers as numbers. */
function formAsJson(text: string): Record<string, unknown> | undefined {
  const form = new URLSearchParams(text);
  if (!form.has('access_token') && !form.has('error')) return undefined;
  const body: Record<string, unknown> = Object.fromEntries(form);
  if (typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in)) {
    body.expires_in = Number(body.expires_in);
  }
  return body;
}

function parsedBody(type: string, text: string): Record<string, unknown> | undefined {
  if (/x-www-form-urlencoded|text\/plain/.test(type)) return formAsJson(text);
  if (!type.includes('json')) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A token endpoint's answer, read whole (token responses are small). */
interface TokenAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * The token endpoint's call with undici's `request` rather than `fetch`: the refresher
 * makes one per refresh, and `fetch`'s WHATWG streams, transferable bodies and the clone
 * the dialects needed were about a third of a refresh's CPU (docs/PERFORMANCE.md).
 * Redirects are not followed (openid-client asks for `redirect: 'manual'` anyway).
 */
async function callTokenEndpoint(
  url: string,
  init: client.CustomFetchOptions,
  dispatcher: Dispatcher,
): Promise<TokenAnswer> {
  const body = init.body;
  const answer = await request(url, {
    method: 'POST',
    headers: init.headers,
    body:
      body instanceof URLSearchParams ? body.toString() : ((body as string | undefined) ?? null),
    ...(init.signal ? { signal: init.signal } : {}),
    dispatcher,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      headers.append(name, v);
    }
  }
  return { status: answer.statusCode, headers, text: await answer.body.text() };
}

/** The answer as openid-client reads it (statuses without a body get none). */
const asResponse = (a: TokenAnswer) =>
  new Response(a.text === '' || a.status === 204 || a.status === 304 ? null : a.text, {
    status: a.status,
    headers: a.headers,
  });

/** Slack user tokens: `authed_user.{access_token,…}` lifted to the top, the rest kept as is. */
function lift(body: Record<string, unknown>, tokenPath: string | undefined) {
  const nested = tokenPath === undefined ? undefined : body[tokenPath];
  if (typeof nested !== 'object' || nested === null) return body;
  const inner = nested as Record<string, unknown>;
  if (typeof inner.access_token !== 'string') return body;
  const lifted = { ...body, ...inner };
  for (const key of ['refresh_token', 'expires_in', 'scope']) {
    if (!(key in inner)) delete lifted[key];
  }
  return lifted;
}

/**
 * Smooths provider dialects at the token endpoint into RFC 6749 before openid-client
 * reads them: errors answered with 200 and `{"error": …}` (GitHub, Slack) become the 400
 * of §5.2 (`bad_verification_code` → `invalid_grant`), form-encoded bodies become JSON,
 * a token nested under the template's `tokenPath` (Slack's `authed_user`) is lifted, and
 * a missing or unusual `token_type` (Slack's `bot`) is read as `Bearer`, which is how
 * those tokens are used. The token endpoint is called with undici's `request`
 * ({@link callTokenEndpoint}); every other endpoint with `fetch`.
 */
function tokenDialects(
  tokenEndpoint: string | undefined,
  tokenPath: string | undefined,
  fetch: typeof globalThis.fetch,
  dispatcher: Dispatcher,
): client.CustomFetch {
  const target = URL.canParse(tokenEndpoint ?? '')
    ? new URL(tokenEndpoint ?? '').href
    : tokenEndpoint;
  return async (url, init) => {
    if (url !== target || init.method !== 'POST') return fetch(url, init as RequestInit);
    const answer = await callTokenEndpoint(url, init, dispatcher);
    if (answer.status !== 200) return asResponse(answer);
    const type = answer.headers.get('content-type') ?? '';
    const parsed = parsedBody(type, answer.text);
    if (parsed === undefined) return asResponse(answer);
    const body = lift(parsed, tokenPath);
    if (typeof body.error === 'string' && body.access_token === undefined) {
      return json(400, { error: ERROR_ALIASES[body.error] ?? body.error });
    }
    const tokenType =
      typeof body.token_type === 'string' ? body.token_type.toLowerCase() : undefined;
    if (typeof body.access_token === 'string' && tokenType !== 'bearer' && tokenType !== 'dpop') {
      return json(200, { ...body, token_type: 'Bearer' });
    }
    return body === parsed && type.includes('json') ? asResponse(answer) : json(200, body);
  };
}

/**
 * openid-client configurations per provider, rebuilt when the provider changes.
 * Every call has a timeout; failures come out classified (upstream-errors.ts).
 *
 * @example
 * const oauth = createProviderOAuth({ timeoutSeconds: 10, allowPrivateUrls: false });
 * const tokens = await oauth.refresh(provider, refreshToken);
 */
export function createProviderOAuth(options: {
  timeoutSeconds: number;
  /** `PROVIDER_ALLOW_PRIVATE_URLS`; without it every call goes through the pinned `fetch` (egress.ts). */
  allowPrivateUrls: boolean;
}) {
  const fetch = providerFetch(options.allowPrivateUrls);
  const dispatcher = providerDispatcher(options.allowPrivateUrls);
  const cache = new Map<string, { version: number; config: Promise<client.Configuration> }>();
  // Connection-level template placeholders give one provider several endpoint sets.
  const cacheKey = (p: ProviderRecord) =>
    `${p.key}\u0000${p.metadata.authorization_endpoint}\u0000${p.metadata.token_endpoint}`;

  function configuration(p: ProviderRecord): Promise<client.Configuration> {
    const key = cacheKey(p);
    const hit = cache.get(key);
    if (hit && hit.version === p.updatedAt.getTime()) return hit.config;
    const config = (async () => {
      const c = new client.Configuration(p.metadata, p.clientId, undefined, await clientAuth(p));
      c.timeout = options.timeoutSeconds;
      c[client.customFetch] = tokenDialects(
        p.metadata.token_endpoint,
        p.template ? findTemplate(p.template)?.tokenPath : undefined,
        fetch,
        dispatcher,
      );
      if (isLoopbackHttp(p.metadata)) client.allowInsecureRequests(c);
      // openid-client trusts TLS for ID tokens from the token endpoint unless told to
      // verify their signatures too (OIDC Core §3.1.3.7 allows either; we want both).
      if (p.metadata.jwks_uri) client.enableNonRepudiationChecks(c);
      return c;
    })();
    cache.set(key, { version: p.updatedAt.getTime(), config });
    config.catch(() => cache.delete(key));
    return config;
  }

  return {
    configuration,

    /**
     * The URL to send the browser to: pushed first (RFC 9126) when the provider
     * advertises a PAR endpoint, so the parameters never travel through the browser.
     * @throws TransientUpstreamError or PermanentUpstreamError when PAR fails.
     */
    async authorizationUrl(p: ProviderRecord, params: Record<string, string>): Promise<URL> {
      const config = await configuration(p);
      if (!p.metadata.pushed_authorization_request_endpoint) {
        return client.buildAuthorizationUrl(config, params);
      }
      try {
        return await client.buildAuthorizationUrlWithPAR(config, params);
      } catch (error) {
        throw classifyUpstreamError(error);
      }
    },

    /**
     * Validates an authorization response (state, `iss`) and redeems its code with the
     * PKCE verifier; for OpenID Connect also validates the ID token (signature, iss, aud,
     * exp, nonce). Errors are openid-client's, unclassified: the caller tells a denied
     * consent from a bad ID token from a provider that is down.
     */
    async authorizationCodeGrant(
      p: ProviderRecord,
      callbackUrl: URL,
      checks: { state: string; codeVerifier: string; nonce: string | undefined },
    ): Promise<TokenResult> {
      const response = await client.authorizationCodeGrant(
        await configuration(p),
        callbackUrl,
        {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          ...(checks.nonce === undefined ? {} : { expectedNonce: checks.nonce }),
        },
        p.tokenParams,
      );
      return toTokenResult(response);
    },

    /**
     * Runs a refresh_token grant.
     * @throws PermanentUpstreamError (invalid_grant…) or TransientUpstreamError.
     */
    async refresh(p: ProviderRecord, refreshToken: string): Promise<TokenResult> {
      try {
        const response = await client.refreshTokenGrant(
          await configuration(p),
          refreshToken,
          p.tokenParams,
        );
        return toTokenResult(response);
      } catch (error) {
        throw classifyUpstreamError(error);
      }
    },

    /**
     * Runs a client_credentials grant (a provider-level machine token).
     * @throws PermanentUpstreamError (invalid_client, invalid_scope…) or TransientUpstreamError.
     */
    async clientCredentials(p: ProviderRecord, scopes: readonly string[]): Promise<TokenResult> {
      try {
        const response = await client.clientCredentialsGrant(await configuration(p), {
          ...p.tokenParams,
          ...(scopes.length > 0 ? { scope: scopes.join(p.scopeSeparator) } : {}),
        });
        return toTokenResult(response);
      } catch (error) {
        throw classifyUpstreamError(error);
      }
    },

    /**
     * Starts an RFC 8628 device authorization.
     * @throws PermanentUpstreamError or TransientUpstreamError.
     */
    async deviceAuthorization(
      p: ProviderRecord,
      scopes: readonly string[],
    ): Promise<client.DeviceAuthorizationResponse> {
      try {
        return await client.initiateDeviceAuthorization(await configuration(p), {
          ...(scopes.length > 0 ? { scope: scopes.join(p.scopeSeparator) } : {}),
        });
      } catch (error) {
        throw classifyUpstreamError(error);
      }
    },

    /**
     * One device_code token request (RFC 8628 §3.4), no waiting: `authorization_pending`
     * and `slow_down` come back as a `pending` answer, the tokens once the user approved.
     * @throws PermanentUpstreamError (access_denied, expired_token…) or TransientUpstreamError.
     */
    async deviceToken(
      p: ProviderRecord,
      deviceCode: string,
    ): Promise<{ pending: 'authorization_pending' | 'slow_down' } | { tokens: TokenResult }> {
      try {
        const response = await client.genericGrantRequest(
          await configuration(p),
          'urn:ietf:params:oauth:grant-type:device_code',
          { ...p.tokenParams, device_code: deviceCode },
        );
        return { tokens: toTokenResult(response) };
      } catch (error) {
        const code = (error as { error?: unknown }).error;
        if (code === 'authorization_pending' || code === 'slow_down') return { pending: code };
        throw classifyUpstreamError(error);
      }
    },

    /**
     * RFC 7009 revocation; a provider without a revocation endpoint is a no-op (false).
     * @throws TransientUpstreamError or PermanentUpstreamError when the provider fails.
     */
    async revoke(
      p: ProviderRecord,
      token: string,
      hint: 'refresh_token' | 'access_token',
    ): Promise<boolean> {
      if (!p.metadata.revocation_endpoint) return false;
      try {
        await client.tokenRevocation(await configuration(p), token, { token_type_hint: hint });
        return true;
      } catch (error) {
        throw classifyUpstreamError(error);
      }
    },
  };
}

export type ProviderOAuth = ReturnType<typeof createProviderOAuth>;

/** Normalises an openid-client token response (it lowercases `token_type`; RFC 6750 spells it `Bearer`). */
export function toTokenResult(
  r: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
): TokenResult {
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    idToken: r.id_token,
    tokenType: r.token_type?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
    expiresIn: r.expiresIn(),
    scope: r.scope,
    response: { ...r },
  };
}
