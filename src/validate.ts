import { z } from 'zod';
import { invalidRequest } from './errors/index.js';
import { describeIssues } from './validation-messages.js';

/**
 * Parses input with a zod schema; failures become 400 `invalid_request` naming every
 * problem at once, each with its field path, in plain words (validation-messages.ts).
 *
 * @example
 * const body = parse(createConnectSessionBody, req.body);
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidRequest(describeIssues(result.error.issues, input, schema));
}

/** A filter value: a non-empty string of at most 255 characters. */
export const text = z.string().min(1).max(255);

/** An instant in a response: ISO 8601 in UTC, as `Date.toISOString()` writes it. */
export const timestamp = z.string().meta({ format: 'date-time' });

/** A list's `limit`: 1 to 100, 50 when absent. */
export const limit = z.coerce.number().int().min(1).max(100).default(50);

/** A whole number in a query string, 1 to 6 digits. */
export const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback)
    // Described as what it means, not as the digits that carry it.
    .meta({ type: 'integer', minimum: min, maximum: max, default: fallback });
