import { z } from 'zod';
import { SUBJECT } from '../connect/schema.js';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { SCOPE } from '../providers/schema.js';
import { timestamp } from '../validate.js';

/** The body of `POST /v1/device-sessions`. */
export const deviceSessionBody = z.strictObject({
  provider: z.string().regex(PROVIDER_KEY, 'must be a provider key'),
  subject: SUBJECT,
  /** Replaces the provider's default scopes for this authorization. */
  scopes: z.array(SCOPE).min(1).max(100).optional(),
});

export type DeviceSessionBody = z.output<typeof deviceSessionBody>;

/** The id in `GET /v1/device-sessions/{id}`. */
export const deviceSessionParams = z.object({ id: z.string().min(1).max(64) });

export const DEVICE_SESSION_STATUSES = [
  'pending',
  'completed',
  'denied',
  'expired',
  'failed',
] as const;

/** A device session as the service API shows it; the device code never leaves the broker. */
export const deviceSessionSchema = z.object({
  id: z.string(),
  provider: z.string(),
  subject: z.string(),
  status: z.enum(DEVICE_SESSION_STATUSES),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  interval: z.number().int().describe('seconds between polls (grows on slow_down)'),
  expires_at: timestamp,
  connection_id: z.string().nullable().describe('set once completed'),
  error: z.string().nullable().describe('access_denied, expired_token, …'),
});
