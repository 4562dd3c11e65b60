import { z } from 'zod';
import { errorBodySchema } from '../../errors/schema.js';
import { registries } from './components.js';

/** OpenAPI path items keyed by path (`/v1/connections/{id}`). */
export type PathItems = Record<string, Record<string, unknown>>;

type JsonSchema = Record<string, unknown>;
type Io = keyof typeof registries;

const withoutDialect = ({ $schema: _dialect, $id: _id, ...schema }: JsonSchema) => schema;

/** A schema as JSON Schema: a `$ref` when it is named, else inline. */
function jsonSchema(schema: z.ZodType, io: Io): JsonSchema {
  const id = registries[io].get(schema)?.id;
  if (id !== undefined) return { $ref: `#/components/schemas/${id}` };
  return withoutDialect(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
}

/** Every named schema, for `components.schemas` (refs between them point there too). */
export function componentSchemas(): Record<string, JsonSchema> {
  const all: Record<string, JsonSchema> = {};
  for (const io of ['input', 'output'] as const) {
    const { schemas } = z.toJSONSchema(registries[io], {
      io,
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    });
    for (const [id, schema] of Object.entries(schemas)) {
      all[id] = withoutDialect(schema);
    }
  }
  return all;
}

/** A JSON request body straight from the zod schema the route parses it with. */
export const jsonBody = (schema: z.ZodType, mediaType = 'application/json') => ({
  required: true,
  content: { [mediaType]: { schema: jsonSchema(schema, 'input') } },
});

/** A JSON response described by the presenter's schema. */
export const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema: jsonSchema(schema, 'output') } },
});

/** The parameters of a route's zod object for its path or query (one per property). */
function parameters(schema: z.ZodObject, where: 'path' | 'query') {
  const object = jsonSchema(schema, 'input') as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties).map(([param, property]) => {
    // A whole number is parsed from its digits (validate.ts); the digit pattern is not its type.
    const { description, pattern, ...rest } = property;
    if (pattern !== undefined && rest.type !== 'integer') rest.pattern = pattern;
    return {
      name: param,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(param),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

/** Path parameters from the zod schema the route parses `req.params` with. */
export const pathParameters = (schema: z.ZodObject) => parameters(schema, 'path');

/** Query parameters from the zod schema the route parses `req.query` with. */
export const queryParameters = (schema: z.ZodObject) => parameters(schema, 'query');

/** The `{error, error_description}` response every error path answers. */
export const errorResponse = { $ref: '#/components/responses/Error' };

/** An error response with its own description (the body is always an Error). */
export const errorAnswer = (description: string) => json(description, errorBodySchema);

/** Security requirements: a service credential, or the admin token. */
export const serviceAuth = [{ service: [] }];
export const adminAuth = [{ admin: [] }];
