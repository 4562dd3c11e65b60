import { revokeConnection } from '../../connections/revoke.js';
import type { Container } from '../../container.js';
import { presentPage } from '../../db/page.js';
import { presentConnection } from '../../connections/present.js';
import { serviceConnectionFilters } from '../../connections/schemas.js';
import { originOf } from '../audit-origin.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import type { RouteTable } from '../router.js';
import { runServiceRequest } from '../service-request.js';
import { sendToken, serviceConnectionId, TOKEN_ROUTE, tokenRead } from '../token-read.js';
import { parse } from '../../validate.js';

/** The service API (`Authorization: Bearer <API key or broker JWT>`) over connections and tokens. */
export function registerServiceApiRoutes(routes: RouteTable, c: Container): void {
  const service = authenticateService(c);

  routes.add('GET', '/v1/connections', service, async (req, res) => {
    const q = parse(serviceConnectionFilters, req.query);
    const page = await c.connections.list(q, currentService(res));
    res.json(presentPage(page, presentConnection));
  });

  routes.add('GET', '/v1/connections/:id', service, async (req, res) => {
    const id = serviceConnectionId(req.params);
    res.json(presentConnection(await c.connections.get(id, currentService(res))));
  });

  routes.add('DELETE', '/v1/connections/:id', service, async (req, res) => {
    const id = serviceConnectionId(req.params);
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

  // Its own service request, the one the raw fast path runs: it authenticates, answers
  // and counts its errors itself (the app's error handler never sees them).
  routes.add('GET', TOKEN_ROUTE, async (req, res) => {
    const input = {
      requestId: res.locals.requestId as string,
      params: req.params,
      query: req.query,
    };
    await runServiceRequest(c, req, res, tokenRead(c, req, res, input));
  });

  routes.add('POST', '/v1/connections/:id/refresh', service, async (req, res) => {
    const id = serviceConnectionId(req.params);
    const origin = originOf(c, req, res);
    sendToken(
      res,
      await c.tokens.read(currentService(res), id, { minTtlSeconds: 0, force: true, origin }),
    );
  });
}
