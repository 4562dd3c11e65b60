import type { Container } from '../../container.js';
import { presentPage } from '../../db/page.js';
import { presentProvider, presentTemplate } from '../../providers/present.js';
import type { ProviderRow } from '../../providers/registry.js';
import {
  providerBody,
  providerListQuery,
  providerParams,
  providerUpdateBody,
} from '../../providers/schema.js';
import { TEMPLATES } from '../../providers/templates/index.js';
import { adminAction } from '../../audit/admin-action.js';
import { adminActorOf } from '../audit-origin.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** `/admin/providers` and `/admin/providers/templates` (registered before `/:key`). */
export function registerProviderRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);
  const present = (p: ProviderRow) => presentProvider(p, c.config.publicUrl);

  routes.add('GET', '/admin/providers/templates', admin, (_req, res) => {
    res.json({ data: [...TEMPLATES.values()].map(presentTemplate) });
  });

  routes.add('POST', '/admin/providers', admin, async (req, res) => {
    const row = await c.providerRegistry.create(parse(providerBody, req.body));
    c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.create', {}, row.key));
    res.status(201).json(present(row));
  });

  routes.add('GET', '/admin/providers', admin, async (req, res) => {
    const q = parse(providerListQuery, req.query);
    res.json(presentPage(await c.providerRegistry.list(q.limit, q.cursor), present));
  });

  routes.add('GET', '/admin/providers/:key', admin, async (req, res) => {
    res.json(present(await c.providerRegistry.get(parse(providerParams, req.params).key)));
  });

  routes.add('PUT', '/admin/providers/:key', admin, async (req, res) => {
    const { key } = parse(providerParams, req.params);
    const body = parse(providerUpdateBody, req.body);
    const row = await c.providerRegistry.update(key, body);
    const fields = Object.keys(body).sort().join(',');
    c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.update', { fields }, key));
    res.json(present(row));
  });

  routes.add('DELETE', '/admin/providers/:key', admin, async (req, res) => {
    const { key } = parse(providerParams, req.params);
    await c.providerRegistry.remove(key);
    c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.delete', {}, key));
    res.status(204).end();
  });
}
