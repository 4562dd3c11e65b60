import type { ServerResponse } from 'node:http';
import { revokeConnection } from '../../connections/revoke.js';
import type { AuditOrigin } from '../../audit/audit-log.js';
import type { Container } from '../../container.js';
import { presentPage } from '../../db/page.js';
import { presentConnection } from '../../connections/present.js';
import { serviceConnectionFilters, serviceConnectionParams } from '../../connections/schemas.js';
import { tokenQuery } from '../../tokens/schema.js';
import type { ServicePrincipal } from '../../services/service-store.js';
import { tokenJson } from '../../tokens/present.js';
import type { TokenRead } from '../../tokens/token-service.js';
import { originOf } from '../audit-origin.js';
import { writeJsonText } from '../middleware/errors.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

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
  origin: AuditOrigin,
): Promise<TokenRead> {
  const { id } = parse(serviceConnectionParams, params);
  const { min_ttl } = parse(tokenQuery, query);
  return c.tokens.read(caller, id, { minTtlSeconds: min_ttl, origin });
}

/** The token read's route pattern (also the fast path's `route` label in logs and metrics). */
export const TOKEN_ROUTE = '/v1/connections/:id/token';

/** The service API (`Authorization: Bearer <API key or broker JWT>`) over connections and tokens. */
export function registerServiceApiRoutes(routes: RouteTable, c: Container): void {
  const service = authenticateService(c);

  routes.add('GET', '/v1/connections', service, async (req, res) => {
    const q = parse(serviceConnectionFilters, req.query);
    const page = await c.connections.list(q, currentService(res));
    res.json(presentPage(page, presentConnection));
  });

  routes.add('GET', '/v1/connections/:id', service, async (req, res) => {
    const { id } = parse(serviceConnectionParams, req.params);
    res.json(presentConnection(await c.connections.get(id, currentService(res))));
  });

  routes.add('DELETE', '/v1/connections/:id', service, async (req, res) => {
    const { id } = parse(serviceConnectionParams, req.params);
    const caller = currentService(res);
    // The policy check answers 404 for a connection outside it, as the reads do.
    await c.connections.get(id, caller);
    await revokeConnection(c, id, {
      type: 'service',
      id: caller.id,
      origin: originOf(c, req, res),
    });
    res.status(204).end();
  });

  routes.add('GET', TOKEN_ROUTE, service, async (req, res) => {
    const origin = originOf(c, req, res);
    sendToken(res, await readTokenRoute(c, currentService(res), req.params, req.query, origin));
  });

  routes.add('POST', '/v1/connections/:id/refresh', service, async (req, res) => {
    const { id } = parse(serviceConnectionParams, req.params);
    const origin = originOf(c, req, res);
    sendToken(
      res,
      await c.tokens.read(currentService(res), id, { minTtlSeconds: 0, force: true, origin }),
    );
  });
}
