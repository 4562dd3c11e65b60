import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';
import type { Container } from '../container.js';
import { checkPhase } from '../eventually.js';
import { CONNECTION_ID } from '../connections/schemas.js';
import { notFound } from '../errors/index.js';
import { tokenJson } from '../tokens/present.js';
import { tokenQuery } from '../tokens/schema.js';
import type { TokenRead } from '../tokens/token-service.js';
import { parse } from '../validate.js';
import { auditOrigin } from './audit-origin.js';
import { writeJsonText } from './middleware/errors.js';
import type { ServiceRequest } from './service-request.js';

/** The token read's route pattern (the `route` label in logs and metrics). */
export const TOKEN_ROUTE = '/v1/connections/:id/token';

/**
 * The canonical form of `GET /v1/connections/:id/token`: an id that needs no decoding.
 * Any other spelling (percent-encoded, trailing slash, other case) is Express's to route.
 */
export const TOKEN_URL = new RegExp(
  `^/v1/connections/(${CONNECTION_ID.source.slice(1, -1)})/token(?:\\?(.*))?$`,
  's',
);

/**
 * The path of a service API connection route: any id, since a malformed one is 404 below.
 * Made once: a zod schema built per call is compiled on its first parse, which was a
 * quarter of the broker's CPU per token read (docs/PERFORMANCE.md).
 */
export const serviceConnectionParams = z.object({
  id: z.string().describe('a connection id (conn_…); one the broker cannot have made is 404'),
});

/** A connection id in a service path: one the broker cannot have made names no connection. */
export function serviceConnectionId(params: unknown): string {
  const { id } = parse(serviceConnectionParams, params);
  if (!CONNECTION_ID.test(id)) throw notFound('connection');
  return id;
}

/** What a read without a query string asks for (the schema's defaults), parsed once. */
const NO_QUERY = parse(tokenQuery, {});

/**
 * Writes a Token with `headers` (flat) added, flagging a token served after a failed refresh.
 *
 * @example sendToken(res, await c.tokens.read(caller, id, { minTtlSeconds: 60 }))
 */
export function sendToken(res: ServerResponse, read: TokenRead, headers: string[] = []): void {
  if (read.refreshError) headers.push('Broker-Refresh-Error', read.refreshError);
  writeJsonText(res, 200, tokenJson(read.token), headers);
}

/**
 * `GET /v1/connections/:id/token` as a service request, for the raw fast path (`query`
 * the raw query string, `headers` every response header) and the Express route (parsed
 * query; its headers are already set).
 */
export function tokenRead(
  c: Container,
  req: IncomingMessage,
  res: ServerResponse,
  input: {
    requestId: string;
    params: unknown;
    query: unknown;
    headers?: string[];
    beforeError?: ServiceRequest<TokenRead>['beforeError'];
  },
): ServiceRequest<TokenRead> {
  return {
    route: TOKEN_ROUTE,
    beforeError: input.beforeError,
    serve: (caller) => {
      const id = serviceConnectionId(input.params);
      const { min_ttl } =
        input.query === ''
          ? NO_QUERY
          : parse(
              tokenQuery,
              typeof input.query === 'string' ? parseQuery(input.query) : input.query,
            );
      const origin = auditOrigin(c, req, input.requestId);
      return c.tokens.read(caller, id, { minTtlSeconds: min_ttl, origin });
    },
    // With the turn's other answers (checkPhase): ~20 % less server CPU per read.
    write: (read) => checkPhase().then(() => sendToken(res, read, input.headers)),
  };
}
