import { z } from 'zod';
import { wholeNumber } from '../validate.js';

/** The query of `GET /v1/connections/{id}/token`. */
export const tokenQuery = z.object({
  min_ttl: wholeNumber(0, 3600, 60).describe(
    'seconds the token must stay valid (0–3600; default 60)',
  ),
});

/** Form parameters; a repeated one arrives as an array and is refused (RFC 6749 §3.2). */
const param = z.string().max(8192).optional();

/** The form of `POST /oauth/token`. */
export const tokenForm = z.object({
  grant_type: z.string({ error: 'grant_type is required' }).min(1).max(256),
  scope: param,
  resource: param,
  subject_token: param,
  subject_token_type: param,
  requested_token_type: param,
  client_id: param,
  client_secret: param,
  client_assertion_type: param,
  client_assertion: param,
});

/** A successful answer of `POST /oauth/token` (RFC 6749 §5.1, RFC 8693 §2.2.1). */
export const tokenEndpointResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int().optional(),
  issued_token_type: z.string().optional().describe('token exchange only'),
  scope: z.string().optional(),
});

export type TokenEndpointResponse = z.output<typeof tokenEndpointResponseSchema>;

/** The broker's RFC 8414 authorization server metadata. */
export const authorizationServerMetadataSchema = z.object({
  issuer: z.string(),
  token_endpoint: z.string(),
  jwks_uri: z.string(),
  grant_types_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
});

/** A JWK Set (RFC 7517 §5) of the public keys that verify broker JWTs. */
export const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })),
});
