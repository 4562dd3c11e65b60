/** OpenAPI path items keyed by path (`/v1/connections/{id}`). */
export type PathItems = Record<string, Record<string, unknown>>;

/** A `$ref` to a named schema of `components.schemas`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A `{data, next_cursor}` page of `item`. */
export const page = (item: object) => ({
  type: 'object',
  required: ['data', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } },
});

/** The `{error, error_description}` response every error path answers. */
export const errorResponse = { $ref: '#/components/responses/Error' };

/** The non-secret account identifiers a template keeps (`{}` when none); never a token. */
export const accountMetadata = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean'] },
  description:
    'non-secret account identifiers the template keeps (Salesforce instance_url, Slack team_id, GitHub user and installation ids, …)',
};

/** The Connection shape of API.md, as every path returns it. */
export const connectionSchema = {
  type: 'object',
  required: [
    'id',
    'service_id',
    'provider',
    'subject',
    'status',
    'scopes',
    'metadata',
    'expires_at',
    'created_at',
    'updated_at',
    'last_refreshed_at',
    'last_error',
  ],
  properties: {
    id: { type: 'string' },
    service_id: {
      type: ['string', 'null'],
      description: 'the owning service; null for an older connection no service could be found for',
    },
    provider: { type: 'string' },
    subject: { type: 'string' },
    status: { enum: ['active', 'reauthorization_required', 'revoked'] },
    scopes: { type: 'array', items: { type: 'string' } },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    last_refreshed_at: { type: ['string', 'null'], format: 'date-time' },
    last_error: { type: ['string', 'null'] },
    metadata: accountMetadata,
  },
};
