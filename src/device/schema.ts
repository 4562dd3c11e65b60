import { z } from 'zod';
import { SUBJECT } from '../connect/schema.js';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { SCOPE } from '../providers/schema.js';

/** The body of `POST /v1/device-sessions`. */
export const deviceSessionBody = z.strictObject({
  provider: z.string().regex(PROVIDER_KEY, 'must be a provider key'),
  subject: SUBJECT,
  /** Replaces the provider's default scopes for this authorization. */
  scopes: z.array(SCOPE).min(1).max(100).optional(),
});

export type DeviceSessionBody = z.output<typeof deviceSessionBody>;
