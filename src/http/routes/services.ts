import { adminAction } from '../../audit/admin-action.js';
import type { Container } from '../../container.js';
import {
  presentApiKey,
  presentCreatedApiKey,
  presentCreatedService,
  presentRotatedClientSecret,
  presentService,
} from '../../services/present.js';
import {
  createKeyBody,
  createServiceBody,
  rotateClientSecretBody,
  serviceKeyParams,
  serviceParams,
  toNewService,
  toServicePatch,
  updateServiceBody,
} from '../../services/schema.js';
import { adminActorOf } from '../audit-origin.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** `/admin/services`, `/admin/services/:id` and the service's API keys. */
export function registerServiceRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);

  routes.add('POST', '/admin/services', admin, async (req, res) => {
    const body = parse(createServiceBody, req.body);
    const { service, apiKey, clientSecret } = await c.services.create(toNewService(body));
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'service.create', { service_id: service.id }),
    );
    res.status(201).json(presentCreatedService(service, apiKey, clientSecret));
  });

  routes.add('GET', '/admin/services', admin, async (_req, res) => {
    res.json({ data: (await c.services.list()).map(presentService), next_cursor: null });
  });

  routes.add('GET', '/admin/services/:id', admin, async (req, res) => {
    res.json(presentService(await c.services.get(parse(serviceParams, req.params).id)));
  });

  routes.add('PATCH', '/admin/services/:id', admin, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const body = parse(updateServiceBody, req.body);
    const updated = await c.services.update(id, toServicePatch(body));
    const fields = Object.keys(body).sort().join(',');
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'service.update', { service_id: id, fields }),
    );
    res.json(presentService(updated));
  });

  routes.add('DELETE', '/admin/services/:id', admin, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    await c.services.remove(id);
    c.audit.record(adminAction(adminActorOf(c, req, res), 'service.delete', { service_id: id }));
    res.status(204).end();
  });

  routes.add('POST', '/admin/services/:id/keys', admin, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const body = parse(createKeyBody, req.body ?? {});
    const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
    const { row, apiKey } = await c.services.keys.issue(id, { expiresAt });
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'service.key_create', {
        service_id: id,
        key_id: row.id,
      }),
    );
    res.status(201).json(presentCreatedApiKey(row, apiKey));
  });

  routes.add('GET', '/admin/services/:id/keys', admin, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    // This replica's uses are written first, so `last_used_at` is current here.
    await c.services.keys.flush();
    const keys = await c.services.keys.list(id);
    res.json({ data: keys.map(presentApiKey), next_cursor: null });
  });

  routes.add('DELETE', '/admin/services/:id/keys/:key_id', admin, async (req, res) => {
    const { id, key_id } = parse(serviceKeyParams, req.params);
    await c.services.keys.revoke(id, key_id);
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'service.key_revoke', { service_id: id, key_id }),
    );
    res.status(204).end();
  });

  routes.add('POST', '/admin/services/:id/client-secret', admin, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const body = parse(rotateClientSecretBody, req.body ?? {});
    const rotated = await c.services.clientSecrets.rotate(id, {
      previousExpiresAt:
        body.previous_expires_at === undefined ? undefined : new Date(body.previous_expires_at),
    });
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'service.client_secret_rotate', {
        service_id: id,
        previous_expires_at: rotated.previousExpiresAt?.toISOString() ?? null,
      }),
    );
    res.status(201).json(presentRotatedClientSecret(rotated));
  });
}
