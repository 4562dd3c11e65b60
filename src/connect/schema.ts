import { z } from 'zod';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { CONNECTION_ID } from '../connections/schemas.js';
import { SCOPE } from '../providers/schema.js';

/** A subject (API.md): 1–255 printable characters, no control characters. */
export const SUBJECT = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\p{C}]+$/u, 'must be printable characters');

/** RFC 7636: a code verifier is 43–128 unreserved characters. */
export const CODE_VERIFIER = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be 43-128 characters of [A-Za-z0-9._~-]');

/** The app handshake: base64url SHA-256 of the app's verifier (S256 only). */
const handshake = {
  code_challenge: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be the base64url SHA-256 of a code_verifier')
    .optional(),
  code_challenge_method: z.literal('S256').optional(),
};

/**
 * The body of `POST /v1/connect-sessions`: a new connection (`subject`, maybe `provider`),
 * or a reconnect of one of the service's connections (`connection_id`).
 */
export const connectSessionBody = z
  .strictObject({
    /** Absent: the connect page lets the user pick one of the service's providers. */
    provider: z.string().regex(PROVIDER_KEY, 'must be a provider key').optional(),
    subject: SUBJECT.optional(),
    /** Reconnect: the flow replaces this connection's tokens and keeps its id. */
    connection_id: z.string().regex(CONNECTION_ID, 'must be a connection id').optional(),
    /** Replaces the provider's default scopes for this consent. */
    scopes: z.array(SCOPE).min(1).max(100).optional(),
    return_to: z.string().max(2048).optional(),
    /** Values of the provider template's connection-level placeholders. */
    connection_config: z.record(z.string().max(64), z.string().max(255)).optional(),
    ...handshake,
  })
  .refine((b) => (b.connection_id === undefined) !== (b.subject === undefined), {
    message: 'give subject (a new connection) or connection_id (a reconnect), not both',
    path: ['subject'],
  })
  .refine((b) => b.connection_id === undefined || b.provider === undefined, {
    message: "a reconnect uses the connection's own provider",
    path: ['provider'],
  })
  .refine((b) => b.code_challenge_method === undefined || b.code_challenge !== undefined, {
    message: 'code_challenge_method needs a code_challenge',
    path: ['code_challenge'],
  });

export type ConnectSessionBody = z.output<typeof connectSessionBody>;

/** The body of `POST /v1/connect-sessions/{id}/complete`. */
export const completeBody = z.strictObject({
  code: z.string().min(1).max(200),
  code_verifier: CODE_VERIFIER,
});

export type CompleteBody = z.output<typeof completeBody>;

/** The id in `POST /v1/connect-sessions/{id}/complete`. */
export const connectSessionParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid id'),
});

/** The session token in `/connect/{token}`. */
export const connectPageParams = z.object({ token: z.string().max(200) });

/** The provider key in `/oauth/callback/{key}`. */
export const callbackParams = z.object({ key: z.string().max(64) });

/** `?display=` on the connect link: `popup` ends the flow by messaging `window.opener`. */
export const DISPLAY = z.enum(['page', 'popup']).catch('page');
export type Display = z.output<typeof DISPLAY>;

/** The query of `GET /connect/{token}`: a pre-picked provider, and how the flow ends. */
export const connectPageQuery = z.object({
  provider: z.string().max(100).optional().catch(undefined),
  display: DISPLAY.default('page'),
});

/** What the connect page's forms post (Continue, Cancel, the static-credential form). */
export const connectForm = z.object({
  csrf: z.string().max(200).catch(''),
  action: z.enum(['continue', 'cancel']).catch('continue'),
  provider: z.string().max(100).optional().catch(undefined),
  display: DISPLAY.default('page'),
  // Length limits are the form's own (credentials.ts), so the reason can be shown.
  api_key: z.string().optional().catch(undefined),
  username: z.string().optional().catch(undefined),
  password: z.string().optional().catch(undefined),
});

export type ConnectForm = z.output<typeof connectForm>;
