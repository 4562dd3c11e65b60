import * as client from 'openid-client';

/** RFC 6749 error codes that no retry can fix: the user must consent again (Vault's split). */
const PERMANENT_CODES = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/**
 * The RFC 6749/6750/8628/9449 error codes a transient failure is named after (`oauth_<code>`).
 * Any other code a provider sends becomes `oauth_other`: the class ends up in metric labels
 * and `last_error`, so it must come from a fixed set, never from the provider's text.
 */
const KNOWN_TRANSIENT_CODES = new Set([
  'invalid_request',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'invalid_dpop_proof',
  'use_dpop_nonce',
]);

/** `oauth_<code>` for a known code, `oauth_other` for anything else. */
export const oauthErrorClass = (code: string) =>
  KNOWN_TRANSIENT_CODES.has(code) ? `oauth_${code}` : 'oauth_other';

/** A provider failure that a later retry may fix (network, timeout, 429, 5xx, garbage body). */
export class TransientUpstreamError extends Error {
  override name = 'TransientUpstreamError';
  readonly permanent = false;
  constructor(
    /** Stable class for logs, metrics and `last_error`: `timeout`, `network`, `http_503`, `bad_response`, … */
    readonly errorClass: string,
    /** Seconds from the provider's `Retry-After`, when it sent one. */
    readonly retryAfterSeconds: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`provider failed transiently (${errorClass})`, options);
  }
}

/** A provider refusal that needs the user again (`invalid_grant` and friends). */
export class PermanentUpstreamError extends Error {
  override name = 'PermanentUpstreamError';
  readonly permanent = true;
  constructor(
    /** The RFC 6749 error code the provider answered, e.g. `invalid_grant`. */
    readonly errorClass: string,
    options: { cause?: unknown } = {},
  ) {
    super(`provider refused the grant (${errorClass})`, options);
  }
}

export type UpstreamError = TransientUpstreamError | PermanentUpstreamError;

/** Codes that refuse the broker's own client, not one user's grant. */
const CLIENT_REFUSED_CODES = new Set(['invalid_client', 'unauthorized_client']);

/**
 * The provider refuses the broker's client (a rotated secret, a disabled app): a fault of
 * the provider's configuration that an admin fixes once, never the users. Transient for
 * the connection (it stays `active`); the provider is marked `misconfigured`.
 */
export class ProviderFaultError extends TransientUpstreamError {
  override name = 'ProviderFaultError';
  readonly providerFault = true;
}

/**
 * A refresh failure as the refresh path treats it: `invalid_client` and
 * `unauthorized_client` become a {@link ProviderFaultError}, so that a secret rotated at
 * the provider does not send every connection refreshed meanwhile back to the user.
 */
export function asRefreshFailure(error: UpstreamError): UpstreamError {
  return error.permanent && CLIENT_REFUSED_CODES.has(error.errorClass)
    ? new ProviderFaultError(error.errorClass, undefined, { cause: error })
    : error;
}

/** Whether the call was refused before connecting: the provider's host resolves to a private address (egress.ts). */
function refusedDestination(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'EDESTINATIONREFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Parses `Retry-After` (seconds or HTTP date) into seconds from now. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The one place that decides permanent vs transient for anything a provider call threw.
 * The provider's own error body stays on `cause`; callers never echo it.
 *
 * @example
 * try { await refreshTokenGrant(...) } catch (e) { throw classifyUpstreamError(e) }
 */
export function classifyUpstreamError(error: unknown): UpstreamError {
  if (error instanceof TransientUpstreamError || error instanceof PermanentUpstreamError)
    return error;
  if (refusedDestination(error)) {
    return new TransientUpstreamError('destination_refused', undefined, { cause: error });
  }
  if (error instanceof client.ResponseBodyError) {
    const retryAfter = parseRetryAfter(error.response.headers.get('retry-after'));
    if (error.status === 429 || error.status >= 500) {
      return new TransientUpstreamError(`http_${error.status}`, retryAfter, { cause: error });
    }
    if (PERMANENT_CODES.has(error.error))
      return new PermanentUpstreamError(error.error, { cause: error });
    return new TransientUpstreamError(oauthErrorClass(error.error), retryAfter, { cause: error });
  }
  // A 401 with WWW-Authenticate (oidc-provider, RFC 6749 §5.2 for Basic auth) is the
  // provider refusing the client itself: as permanent as invalid_client in a body.
  if (error instanceof client.WWWAuthenticateChallengeError && error.status === 401) {
    const code = error.cause[0]?.parameters.error;
    return new PermanentUpstreamError(code && PERMANENT_CODES.has(code) ? code : 'invalid_client', {
      cause: error,
    });
  }
  if (error instanceof client.ClientError) {
    const code = (error as { code?: string }).code ?? '';
    const response =
      (error.cause as { status?: number; headers?: Headers } | undefined) ?? undefined;
    const status = typeof response?.status === 'number' ? response.status : undefined;
    if (status !== undefined && (status === 429 || status >= 500)) {
      return new TransientUpstreamError(
        `http_${status}`,
        parseRetryAfter(response?.headers?.get('retry-after')),
        { cause: error },
      );
    }
    if (code === 'OAUTH_TIMEOUT' || /timeout/i.test(error.message)) {
      return new TransientUpstreamError('timeout', undefined, { cause: error });
    }
    return new TransientUpstreamError('bad_response', undefined, { cause: error });
  }
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new TransientUpstreamError('timeout', undefined, { cause: error });
  return new TransientUpstreamError('network', undefined, { cause: error });
}
