/** OpenAPI path items keyed by path (`/v1/connections/{id}`). */
export type PathItems = Record<string, Record<string, unknown>>;

/** The `{error, error_description}` response every error path answers. */
export const errorResponse = { $ref: '#/components/responses/Error' };
