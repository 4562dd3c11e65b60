import { z } from 'zod';
import { connectionSchema, presentConnection, type ConnectionRow } from '../connections/present.js';
import type { DirectConnectionBody } from './schema.js';

/** `POST /v1/connections`' answer: the Connection and how it was made. */
export const directConnectionSchema = connectionSchema.extend({
  type: z.enum(['client_credentials', 'api_key', 'basic']),
});

/**
 * @example res.status(201).json(presentDirectConnection(connection, body.type))
 */
export const presentDirectConnection = (
  connection: ConnectionRow,
  type: DirectConnectionBody['type'],
): z.output<typeof directConnectionSchema> => ({ ...presentConnection(connection), type });
