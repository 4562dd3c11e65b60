import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { revokeConnection } from '../../connections/revoke.js';
import type { Container } from '../../container.js';
import { presentConnection } from '../../connections/present.js';
import { PROVIDER_KEY } from '../../providers/provider-key.js';
import type { ServicePrincipal } from '../../services/service-store.js';
import { tokenJson } from '../../tokens/present.js';
import type { TokenRead } from '../../tokens/token-service.js';
import { writeJsonText } from '../middleware/errors.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);

const listQuery = z.object({
  provider: z.string().regex(PROVIDER_KEY, 'must be a provider key').optional(),
  subject: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7e]+$/, 'must be printable characters')
    .optional(),
  status: z.enum(['active', 'reauthorization_required', 'revoked']).optional(),
  limit: wholeNumber(1, 100, 50),
  cursor: z.string().min(1).max(512).optional(),
});

const connectionId = z.object({ id: z.string().min(1).max(64) });
const tokenQuery = z.object({ min_ttl: wholeNumber(0, 3600, 60) });

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
 * `GET /v1/connections/:id/token` once the caller is authenticated: validates the path
 * and query, then reads. Called by the Express route and by the raw fast path.
 * @throws BrokerError as `c.tokens.read` does, and invalid_request for bad input.
 */
export function readTokenRoute(
  c: Container,
  caller: ServicePrincipal,
  params: unknown,
  query: unknown,
): Promise<TokenRead> {
  const { id } = parse(connectionId, params);
  const { min_ttl } = parse(tokenQuery, query);
  return c.tokens.read(caller, id, { minTtlSeconds: min_ttl });
}

/** The token read's route pattern (also the fast path's `route` label in logs and metrics). */
export const TOKEN_ROUTE = '/v1/connections/:id/token';

/** The service API (`Authorization: Bearer <API key or broker JWT>`) over connections and tokens. */
export function registerServiceApiRoutes(routes: RouteTable, c: Container): void {
  const service = authenticateService(c);

  routes.add('GET', '/v1/connections', service, async (req, res) => {
    const q = parse(listQuery, req.query);
    const page = await c.serviceConnections.list(currentService(res), q);
    res.json({ data: page.data.map(presentConnection), next_cursor: page.nextCursor });
  });

  routes.add('GET', '/v1/connections/:id', service, async (req, res) => {
    const { id } = parse(connectionId, req.params);
    res.json(presentConnection(await c.serviceConnections.get(currentService(res), id)));
  });

  routes.add('DELETE', '/v1/connections/:id', service, async (req, res) => {
    const { id } = parse(connectionId, req.params);
    const caller = currentService(res);
    // The policy check answers 404 for a connection outside it, as the reads do.
    await c.serviceConnections.get(caller, id);
    await revokeConnection(c, id, { type: 'service', id: caller.id });
    res.status(204).end();
  });

  routes.add('GET', TOKEN_ROUTE, service, async (req, res) => {
    sendToken(res, await readTokenRoute(c, currentService(res), req.params, req.query));
  });

  routes.add('POST', '/v1/connections/:id/refresh', service, async (req, res) => {
    const { id } = parse(connectionId, req.params);
    sendToken(res, await c.tokens.read(currentService(res), id, { minTtlSeconds: 0, force: true }));
  });
}
