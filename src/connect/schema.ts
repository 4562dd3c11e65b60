import { z } from 'zod';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { SCOPE } from '../providers/schema.js';

/** A subject (API.md): 1–255 printable characters, no control characters. */
export const SUBJECT = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\p{C}]+$/u, 'must be printable characters');

/** The body of `POST /v1/connect-sessions`. */
export const connectSessionBody = z.strictObject({
  provider: z.string().regex(PROVIDER_KEY, 'must be a provider key'),
  subject: SUBJECT,
  /** Replaces the provider's default scopes for this consent. */
  scopes: z.array(SCOPE).min(1).max(100).optional(),
  return_to: z.string().max(2048).optional(),
  /** Values of the provider template's connection-level placeholders. */
  connection_config: z.record(z.string().max(64), z.string().max(255)).optional(),
});

export type ConnectSessionBody = z.output<typeof connectSessionBody>;
