import type { AuthMode } from './templates/types.js';
import type { JWK, ServerMetadata } from 'openid-client';

export type ClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

/** A provider as the OAuth layer needs it: metadata plus decrypted client credentials. */
export interface ProviderRecord {
  key: string;
  displayName: string;
  template: string | null;
  /** `oauth2`, or `api_key` / `basic`: the connect page asks for static credentials. */
  authMode: AuthMode;
  issuer: string | null;
  /** RFC 8414 authorization server metadata (discovered or explicit). */
  metadata: ServerMetadata;
  clientId: string;
  clientAuthMethod: ClientAuthMethod;
  clientSecret: string | undefined;
  /** Private JWK for private_key_jwt. */
  clientKey: JWK | undefined;
  scopes: string[];
  scopeSeparator: string;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  config: Record<string, string>;
  /** The redirect URI is `/oauth/callback/{key}` instead of the shared `/oauth/callback`. */
  distinctRedirectUri: boolean;
  /** `misconfigured` while the provider refuses the broker's client (see health.ts). */
  status: ProviderStatus;
  /** While misconfigured: no refresh calls the provider before this time. */
  probeAt: Date | null;
  /**
   * Where the proxy sends API calls (provider-level placeholders filled; connection-level
   * ones and the template's metadata fields are filled per connection); null: no proxy.
   */
  apiBaseUrl: string | null;
  updatedAt: Date;
}

export type ProviderStatus = 'active' | 'misconfigured';

/** What the broker keeps from a token endpoint response. */
export interface TokenResult {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  tokenType: string;
  /** Seconds, as the provider reported them; undefined when it said nothing. */
  expiresIn: number | undefined;
  /** Granted scopes when the provider reported them. */
  scope: string | undefined;
  /** The whole token response, for the template's non-secret extra fields (memory only). */
  response?: Record<string, unknown>;
}
