import type { Request, Response } from 'express';
import type { Container } from '../../container.js';
import { presentPage } from '../../db/page.js';
import { presentDelivery } from '../../webhooks/deliveries.js';
import { presentEndpoint, presentEndpointWithSecret } from '../../webhooks/endpoints.js';
import {
  createEndpointBody,
  deliveryListQuery,
  endpointListQuery,
  updateEndpointBody,
  webhookParams,
} from '../../webhooks/schema.js';
import { adminAction } from '../../audit/admin-action.js';
import { adminActorOf } from '../audit-origin.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** Webhook endpoints, the delivery log and replay (admin). */
export function registerWebhookRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);
  const { endpoints, deliveries } = c.webhooks;
  const audited = (req: Request, res: Response, action: string, id: string) =>
    c.audit.record(adminAction(adminActorOf(c, req, res), action, { webhook_id: id }));

  routes.add('POST', '/admin/webhooks', admin, async (req, res) => {
    const body = parse(createEndpointBody, req.body ?? {});
    const { endpoint, secret } = await endpoints.create(body);
    audited(req, res, 'webhook.create', endpoint.id);
    res.status(201).json(presentEndpointWithSecret(endpoint, secret));
  });

  routes.add('GET', '/admin/webhooks', admin, async (req, res) => {
    res.json(
      presentPage(await endpoints.list(parse(endpointListQuery, req.query)), presentEndpoint),
    );
  });

  routes.add('GET', '/admin/webhooks/:id', admin, async (req, res) => {
    res.json(presentEndpoint(await endpoints.get(parse(webhookParams, req.params).id)));
  });

  routes.add('PATCH', '/admin/webhooks/:id', admin, async (req, res) => {
    const patch = parse(updateEndpointBody, req.body ?? {});
    const endpointId = parse(webhookParams, req.params).id;
    const updated = await endpoints.update(endpointId, {
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.events === undefined ? {} : { events: patch.events }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
    });
    audited(req, res, 'webhook.update', endpointId);
    res.json(presentEndpoint(updated));
  });

  routes.add('DELETE', '/admin/webhooks/:id', admin, async (req, res) => {
    const endpointId = parse(webhookParams, req.params).id;
    await endpoints.remove(endpointId);
    audited(req, res, 'webhook.delete', endpointId);
    res.status(204).end();
  });

  routes.add('POST', '/admin/webhooks/:id/rotate-secret', admin, async (req, res) => {
    const { endpoint, secret } = await endpoints.rotateSecret(parse(webhookParams, req.params).id);
    audited(req, res, 'webhook.rotate_secret', endpoint.id);
    res.json(presentEndpointWithSecret(endpoint, secret));
  });

  routes.add('GET', '/admin/webhook-deliveries', admin, async (req, res) => {
    const q = parse(deliveryListQuery, req.query);
    const page = await deliveries.list({
      status: q.status,
      endpointId: q.endpoint_id,
      type: q.type,
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json(presentPage(page, presentDelivery));
  });

  routes.add('POST', '/admin/webhook-deliveries/:id/replay', admin, async (req, res) => {
    const deliveryId = parse(webhookParams, req.params).id;
    const replayed = await deliveries.replay(deliveryId);
    c.audit.record(
      adminAction(adminActorOf(c, req, res), 'webhook.replay', { delivery_id: deliveryId }),
    );
    res.status(202).json(replayed);
  });
}
