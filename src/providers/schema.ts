import { z } from 'zod';
import { PROVIDER_KEY, RESERVED_PROVIDER_KEYS } from './provider-key.js';

/** Authorization request parameters the broker sets itself; a provider may not override them. */
export const RESERVED_AUTHORIZATION_PARAMS: ReadonlySet<string> = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'scope',
  'request',
  'request_uri',
  'response_mode',
]);

/** Token request parameters the broker sets itself. */
export const RESERVED_TOKEN_PARAMS: ReadonlySet<string> = new Set([
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'refresh_token',
]);

const params = (reserved: ReadonlySet<string>) =>
  z
    .record(
      z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'invalid parameter name'),
      z.string().max(2000),
    )
    .refine((m) => Object.keys(m).length <= 30, 'at most 30 parameters')
    .refine(
      (m) => !Object.keys(m).some((k) => reserved.has(k)),
      'sets a parameter the broker controls',
    );

const url = z.string().max(2048);

/** A scope token (RFC 6749 §3.3): printable ASCII without space, quote or backslash. */
export const SCOPE = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, 'invalid scope');

const privateJwk = z
  .object({ kty: z.enum(['RSA', 'EC', 'OKP']), d: z.string().min(1) })
  .passthrough()
  .describe('private JWK for private_key_jwt');

/** The body of `POST /admin/providers` and `PUT /admin/providers/{key}` (API.md plus extras). */
export const providerBody = z.strictObject({
  key: z
    .string()
    .regex(PROVIDER_KEY, 'must match ^[a-z0-9][a-z0-9_-]{1,62}$')
    .refine((k) => !RESERVED_PROVIDER_KEYS.has(k), 'is reserved'),
  display_name: z.string().trim().min(1).max(200).optional(),
  template: z.string().max(64).optional(),
  issuer: url.optional(),
  authorization_endpoint: url.optional(),
  token_endpoint: url.optional(),
  revocation_endpoint: url.optional(),
  /** `api_key` / `basic`: the connect page asks the user for static credentials. */
  auth_mode: z.enum(['oauth2', 'api_key', 'basic']).optional(),
  /** Not needed by providers whose auth_mode is api_key or basic. */
  client_id: z.string().min(1).max(512).optional(),
  /** Omitted on PUT: the stored secret is kept; null removes it. */
  client_secret: z.string().min(1).max(4096).nullable().optional().meta({
    writeOnly: true,
    description: 'write-only; left out on PUT it is kept, null removes it',
  }),
  client_key: privateJwk
    .nullable()
    .optional()
    .meta({ writeOnly: true, description: 'private JWK for private_key_jwt; write-only' }),
  client_auth_method: z
    .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])
    .optional(),
  scopes: z.array(SCOPE).max(100).optional(),
  scope_separator: z.enum([' ', ',', '+']).optional(),
  authorization_params: params(RESERVED_AUTHORIZATION_PARAMS).optional(),
  token_params: params(RESERVED_TOKEN_PARAMS).optional(),
  /**
   * The secret the provider signs its webhooks with (write-only). A new value replaces
   * the current one, which keeps verifying for 24 h; omitted on PUT it is kept; null
   * removes it.
   */
  webhook_secret: z.string().min(1).max(4096).nullable().optional().meta({
    writeOnly: true,
    description:
      'the secret the provider signs its webhooks with (write-only); a new value rotates it, the replaced one verifies for 24 h more; null removes it',
  }),
  /**
   * The provider's API base for the proxy (https; plain http only to loopback outside
   * production). Templates bring their own; this replaces it.
   */
  api_base_url: url.nullable().optional(),
  /**
   * Its own redirect URI, `${PUBLIC_URL}/oauth/callback/{key}`: a provider's answer is
   * then tied to the provider it came from even without RFC 9207 `iss` (RFC 9700 §4.4.2).
   */
  distinct_redirect_uri: z.boolean().optional(),
  /** Values of the template's provider-level placeholders, e.g. `{"tenant": "contoso"}`. */
  config: z.record(z.string().max(64), z.string().max(255)).optional(),
});

export type ProviderBody = z.output<typeof providerBody>;

/** `PUT` takes the same body; its `key` may be left out (the path names the provider). */
export const providerUpdateBody = providerBody.extend({ key: providerBody.shape.key.optional() });

export type ProviderUpdateBody = z.output<typeof providerUpdateBody>;

/** The key in `/admin/providers/{key}` and `/webhooks/providers/{key}`. */
export const providerParams = z.object({
  key: z.string().regex(PROVIDER_KEY, 'must be a provider key'),
});

/** The query of `GET /admin/providers`. */
export const providerListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
