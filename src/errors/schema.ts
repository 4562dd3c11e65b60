import { z } from 'zod';

/**
 * The JSON body of every error (API.md): the code, a human description, and on some codes
 * a few more string fields (`connection_id` on `reauthorization_required`).
 */
export const errorBodySchema = z
  .object({
    error: z.string().describe('invalid_request, invalid_token, not_found, … (API.md)'),
    error_description: z.string(),
    connection_id: z.string().optional().describe('reauthorization_required: reconnect this one'),
  })
  .catchall(z.string());

export type ErrorBody = z.output<typeof errorBodySchema>;
