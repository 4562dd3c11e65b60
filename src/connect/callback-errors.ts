import * as client from 'openid-client';
import { classifyUpstreamError } from '../providers/upstream-errors.js';

/** Authorization error codes a provider may send back (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const PROVIDER_ERRORS = new Set([
  'access_denied',
  'invalid_request',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
]);

/** openid-client codes that mean the ID token failed validation (claims, time, key). */
const ID_TOKEN_CODES = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
]);

/** Why a callback failed, as the `error` sent back to the app. */
export interface CallbackFailure {
  code: string;
  /** A provider failure that a retry may fix (its metadata is refetched before the next flow). */
  transient: boolean;
}

const hasSignatureCause = (error: unknown) => {
  const inner = (error as { cause?: { cause?: unknown } }).cause?.cause;
  return typeof inner === 'object' && inner !== null && 'signature' in inner;
};

/**
 * Maps whatever the code exchange threw to the error code the app receives:
 * the provider's own authorization error (`access_denied`…), `invalid_grant` (code
 * refused), `invalid_id_token` (signature, `iss`, `aud`, `exp`, `nonce`), or
 * `upstream_unavailable` (down, timed out, garbage).
 */
export function callbackFailure(error: unknown): CallbackFailure {
  if (error instanceof client.AuthorizationResponseError) {
    return {
      code: PROVIDER_ERRORS.has(error.error) ? error.error : 'invalid_request',
      transient: false,
    };
  }
  if (error instanceof client.ClientError) {
    const code = (error as { code?: string }).code ?? '';
    if (
      ID_TOKEN_CODES.has(code) ||
      (code === 'OAUTH_INVALID_RESPONSE' && hasSignatureCause(error))
    ) {
      return { code: 'invalid_id_token', transient: false };
    }
  }
  const upstream = classifyUpstreamError(error);
  return upstream.permanent
    ? { code: upstream.errorClass, transient: false }
    : { code: 'upstream_unavailable', transient: true };
}
