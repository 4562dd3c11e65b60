import { z } from 'zod';
import { timestamp } from '../validate.js';
import type { CreatedConnectSession } from './sessions.js';

/** `POST /v1/connect-sessions`' answer: the link to send the user to, and its ticket. */
export const connectSessionSchema = z.object({
  id: z.string().describe('the connect_session_id of the handshake redirect'),
  token: z.string(),
  connect_url: z.string().describe('single use; GET and HEAD never spend it'),
  expires_at: timestamp,
});

/** @example res.status(201).json(presentConnectSession(await c.connect.createSession(…))) */
export const presentConnectSession = (
  s: CreatedConnectSession,
): z.output<typeof connectSessionSchema> => ({
  id: s.id,
  token: s.token,
  connect_url: s.connectUrl,
  expires_at: s.expiresAt.toISOString(),
});
