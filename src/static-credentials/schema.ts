import { z } from 'zod';
import { SUBJECT } from '../connect/schema.js';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { SCOPE } from '../providers/schema.js';

const provider = z.string().regex(PROVIDER_KEY, 'must be a provider key');

/**
 * The body of `POST /v1/connections`: a connection made without a browser —
 * a provider-level machine token (`client_credentials`) or a secret the service already
 * holds (`api_key`, `basic`), served afterwards by the same token endpoint.
 */
export const directConnectionBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('client_credentials'),
    provider,
    subject: SUBJECT,
    scopes: z.array(SCOPE).max(100).optional(),
  }),
  z.strictObject({
    type: z.literal('api_key'),
    provider,
    subject: SUBJECT,
    api_key: z.string().min(1).max(8192).meta({ writeOnly: true }),
    scopes: z.array(SCOPE).max(100).optional(),
  }),
  z.strictObject({
    type: z.literal('basic'),
    provider,
    subject: SUBJECT,
    // RFC 7617: the user id cannot contain a colon.
    username: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^:\p{C}]+$/u, 'must not contain ":"'),
    password: z.string().min(1).max(8192).meta({ writeOnly: true }),
    scopes: z.array(SCOPE).max(100).optional(),
  }),
]);

export type DirectConnectionBody = z.output<typeof directConnectionBody>;
