import type { Container } from '../../container.js';
import { presentDeviceSession } from '../../device/device-sessions.js';
import { deviceSessionBody, deviceSessionParams } from '../../device/schema.js';
import { presentServiceProvider } from '../../providers/present.js';
import type { ProviderRecord } from '../../providers/types.js';
import { presentDirectConnection } from '../../static-credentials/present.js';
import { directConnectionBody } from '../../static-credentials/schema.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import { originOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/**
 * The service API's ways to connect besides the browser flow, and the providers a
 * service may use: `GET /v1/providers`, `POST /v1/connections` (client credentials,
 * API key, basic auth), `POST /v1/device-sessions`, `GET /v1/device-sessions/:id`.
 */
export function registerServiceConnectRoutes(routes: RouteTable, c: Container): void {
  const service = authenticateService(c);

  routes.add('GET', '/v1/providers', service, async (_req, res) => {
    const caller = currentService(res);
    const records = await Promise.all(caller.allowedProviders.map((key) => c.providers.get(key)));
    const data = records
      .filter((p): p is ProviderRecord => p !== undefined)
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(presentServiceProvider);
    res.json({ data });
  });

  routes.add('POST', '/v1/connections', service, async (req, res) => {
    const body = parse(directConnectionBody, req.body);
    const { connection, created } = await c.directConnections.create(
      currentService(res),
      body,
      originOf(c, req, res),
    );
    res.status(created ? 201 : 200).json(presentDirectConnection(connection, body.type));
  });

  routes.add('POST', '/v1/device-sessions', service, async (req, res) => {
    const body = parse(deviceSessionBody, req.body);
    res
      .status(201)
      .json(presentDeviceSession(await c.deviceSessions.create(currentService(res), body)));
  });

  routes.add('GET', '/v1/device-sessions/:id', service, async (req, res) => {
    const { id } = parse(deviceSessionParams, req.params);
    res.json(presentDeviceSession(await c.deviceSessions.get(currentService(res), id)));
  });
}
