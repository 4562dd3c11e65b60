import type { z } from 'zod';
import { invalidRequest } from './errors/index.js';

/**
 * Parses input with a zod schema; failures become 400 `invalid_request` naming the field.
 *
 * @example
 * const body = parse(createConnectSessionBody, req.body);
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') + ': ' : '';
  throw invalidRequest(`${where}${issue?.message ?? 'invalid input'}`);
}
