import * as client from 'openid-client';
import { BrokerError, invalidRequest, upstreamUnavailable } from '../errors/index.js';
import { assertEndpointUrl, providerFetch } from './egress.js';
import { assertMetadataUrls } from './metadata.js';

const NETWORK_ERRORS = new Set(['TypeError', 'TimeoutError', 'AbortError']);

/** Whether a failure (or one of its causes) is the network's: refused, reset, timed out. */
function isNetworkFailure(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const { name, code, cause } = e as { name?: string; code?: string; cause?: unknown };
    if ((name && NETWORK_ERRORS.has(name)) || code === 'OAUTH_TIMEOUT') return true;
    e = cause;
  }
  return false;
}

/**
 * Fetches and validates an issuer's metadata: OpenID Connect Discovery
 * (`/.well-known/openid-configuration`) first, RFC 8414
 * (`/.well-known/oauth-authorization-server`) when that fails. openid-client checks that
 * the document's `issuer` is the one asked for.
 *
 * Without `allowPrivate` the issuer and every endpoint must be public https (egress.ts).
 *
 * @throws BrokerError invalid_request when no valid document is found there,
 *   upstream_unavailable when the issuer cannot be reached.
 * @example
 * const metadata = await discoverMetadata('https://accounts.google.com', 10, false);
 */
export async function discoverMetadata(
  issuer: string,
  timeoutSeconds: number,
  allowPrivate: boolean,
): Promise<client.ServerMetadata> {
  assertEndpointUrl('issuer', issuer, allowPrivate);
  const url = new URL(issuer);
  const options = (algorithm: 'oidc' | 'oauth2'): client.DiscoveryRequestOptions => ({
    algorithm,
    timeout: timeoutSeconds,
    [client.customFetch]: providerFetch(allowPrivate) as client.CustomFetch,
    ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
  });
  let lastError: unknown;
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const config = await client.discovery(
        url,
        'discovery',
        undefined,
        client.None(),
        options(algorithm),
      );
      const metadata = config.serverMetadata();
      assertMetadataUrls(metadata, allowPrivate);
      return metadata;
    } catch (error) {
      lastError = error;
    }
  }
  if (isNetworkFailure(lastError)) {
    throw upstreamUnavailable(`discovery at ${issuer} failed: issuer unreachable`, {
      status: 502,
      cause: lastError,
    });
  }
  if (lastError instanceof BrokerError) {
    throw lastError;
  }
  throw invalidRequest(
    `issuer: no valid OpenID Connect or OAuth 2.0 metadata at ${issuer}`,
    lastError,
  );
}
