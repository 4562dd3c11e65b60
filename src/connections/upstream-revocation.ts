import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { ProviderStore } from '../providers/store.js';
import type { Keyring } from '../vault/keyring.js';
import { classifyUpstreamError } from '../providers/upstream-errors.js';
import type { PlainTokenSet } from '../vault/token-set.js';
import { isStaticTokenType } from '../static-credentials/token-types.js';

/** Outcome of the RFC 7009 calls for one connection. */
export type UpstreamRevocation = 'succeeded' | 'failed' | 'not_supported';

/** A token the provider has not yet confirmed revoked. */
export interface OwedToken {
  token: string;
  hint: 'refresh_token' | 'access_token';
}

/** First retry after 30 s, doubling up to every 6 h. */
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 6 * 3600_000;

/** When attempt number `attempts` (1-based) of a failed upstream revocation is retried. */
export const nextRetryAt = (now: Date, attempts: number) =>
  new Date(now.getTime() + Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS));

/**
 * The refresh token first (it can mint more access tokens), then the access token (RFC 7009).
 * Static credentials (API keys, basic auth) are the customer's own, not OAuth tokens: the
 * broker forgets them and never sends them to a revocation endpoint.
 */
export const owedTokens = (
  t: Pick<PlainTokenSet, 'accessToken' | 'refreshToken' | 'tokenType'>,
): OwedToken[] =>
  isStaticTokenType(t.tokenType)
    ? []
    : [
        ...(t.refreshToken ? [{ token: t.refreshToken, hint: 'refresh_token' as const }] : []),
        { token: t.accessToken, hint: 'access_token' as const },
      ];

const ctx = (connectionId: string) => ({
  table: 'connections',
  id: connectionId,
  field: 'pending_revocation',
});

/** What an upstream revocation needs: the provider, its client, the key sealing what is owed. */
export interface UpstreamRevocationDeps {
  keyring: Keyring;
  providers: ProviderStore;
  oauth: Pick<ProviderOAuth, 'revoke'>;
}

/**
 * Revokes each token at the provider, in order, where it has a revocation endpoint.
 * Failures do not stop the rest; what failed comes back as `remaining`.
 */
export async function revokeAtProvider(
  c: UpstreamRevocationDeps,
  providerKey: string,
  tokens: OwedToken[],
): Promise<{
  outcome: UpstreamRevocation | null;
  remaining: OwedToken[];
  errorClass: string | undefined;
}> {
  if (tokens.length === 0) return { outcome: null, remaining: [], errorClass: undefined };
  const provider = await c.providers.get(providerKey);
  if (!provider?.metadata.revocation_endpoint) {
    return { outcome: 'not_supported', remaining: [], errorClass: undefined };
  }
  const remaining: OwedToken[] = [];
  let errorClass: string | undefined;
  for (const owed of tokens) {
    try {
      await c.oauth.revoke(provider, owed.token, owed.hint);
    } catch (error) {
      remaining.push(owed);
      errorClass ??= classifyUpstreamError(error).errorClass;
    }
  }
  return { outcome: remaining.length > 0 ? 'failed' : 'succeeded', remaining, errorClass };
}

/**
 * The `connections` columns that record what is still owed upstream: the tokens sealed
 * under the current key (AAD binds them to this row), the attempt count and next retry.
 */
export function pendingRevocationColumns(
  c: { keyring: Keyring },
  connectionId: string,
  remaining: OwedToken[],
  now: Date,
  attempts: number,
) {
  if (remaining.length === 0) {
    return {
      pendingRevocation: null,
      pendingRevocationKeyId: null,
      revocationAttempts: attempts,
      revocationRetryAt: null,
    };
  }
  return {
    pendingRevocation: c.keyring.encrypt(JSON.stringify(remaining), ctx(connectionId)),
    pendingRevocationKeyId: c.keyring.currentKid,
    revocationAttempts: attempts,
    revocationRetryAt: nextRetryAt(now, attempts),
  };
}

/**
 * How long a revocation's provider calls may take before the retry job treats them as cut
 * short (the replica died) and makes them itself: well past two 10-s provider timeouts.
 */
export const IN_FLIGHT_GRACE_MS = 120_000;

/**
 * {@link pendingRevocationColumns} for tokens about to be revoked at the provider by this
 * replica: owed, but due for the retry job only after {@link IN_FLIGHT_GRACE_MS}.
 */
export function inFlightRevocationColumns(
  c: { keyring: Keyring },
  connectionId: string,
  owed: OwedToken[],
  now: Date,
) {
  const columns = pendingRevocationColumns(c, connectionId, owed, now, 0);
  if (owed.length === 0) return columns;
  return { ...columns, revocationRetryAt: new Date(now.getTime() + IN_FLIGHT_GRACE_MS) };
}

/** Decrypts `connections.pending_revocation`. */
export function openPendingRevocation(
  c: { keyring: Keyring },
  connectionId: string,
  sealed: Uint8Array,
  keyId: string,
): OwedToken[] {
  return JSON.parse(c.keyring.decrypt(sealed, keyId, ctx(connectionId))) as OwedToken[];
}

/**
 * Revokes at the provider a refresh token that a new grant replaced (a reconnect, the same
 * subject connecting again), where the provider has a revocation endpoint. Best effort: a
 * failure is logged, never thrown — the new grant is stored either way.
 *
 * @example await revokeReplacedToken({ keyring, providers, oauth, logger }, 'github', oldRefreshToken);
 */
export async function revokeReplacedToken(
  c: UpstreamRevocationDeps & { logger: { warn(fields: object, message: string): void } },
  providerKey: string,
  refreshToken: string,
): Promise<void> {
  const result = await revokeAtProvider(c, providerKey, [
    { token: refreshToken, hint: 'refresh_token' },
  ]);
  if (result.outcome === 'failed') {
    c.logger.warn(
      { provider: providerKey, error_class: result.errorClass },
      'revoking a replaced refresh token failed',
    );
  }
}
