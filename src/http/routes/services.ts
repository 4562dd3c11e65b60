import { z } from 'zod';
import type { Container } from '../../container.js';
import { presentService } from '../../services/present.js';
import { createServiceBody } from '../../services/schema.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

const serviceId = z.object({ id: z.string().min(1).max(64) });

/** `POST/GET /admin/services`, `GET/DELETE /admin/services/:id`. */
export function registerServiceRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);

  routes.add('POST', '/admin/services', admin, async (req, res) => {
    const body = parse(createServiceBody, req.body);
    const { service, apiKey, clientSecret } = await c.services.create({
      name: body.name,
      displayName: body.display_name,
      connectionAccess: body.connection_access,
      allowedProviders: body.allowed_providers,
      allowedReturnTo: body.allowed_return_to,
      jwks: body.jwks,
    });
    res
      .status(201)
      .json({ ...presentService(service), api_key: apiKey, client_secret: clientSecret });
  });

  routes.add('GET', '/admin/services', admin, async (_req, res) => {
    res.json({ data: (await c.services.list()).map(presentService), next_cursor: null });
  });

  routes.add('GET', '/admin/services/:id', admin, async (req, res) => {
    res.json(presentService(await c.services.get(parse(serviceId, req.params).id)));
  });

  routes.add('DELETE', '/admin/services/:id', admin, async (req, res) => {
    await c.services.remove(parse(serviceId, req.params).id);
    res.status(204).end();
  });
}
