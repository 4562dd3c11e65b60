import { listAuditEvents } from '../../audit/query.js';
import { presentAuditEvent } from '../../audit/present.js';
import { presentAdminConnection } from '../../connections/present.js';
import { presentConnection } from '../../connections/present.js';
import { revokeConnection, revokeConnections } from '../../connections/revoke.js';
import { bulkRevokeFilter, connectionFilters, idParam } from '../../connections/schemas.js';
import { auditFilters } from '../../audit/schemas.js';
import type { Container } from '../../container.js';
import { presentPage } from '../../db/page.js';
import { adminActorOf } from '../audit-origin.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** Admin connections, revocation and the audit trail. */
export function registerAdminConnectionRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);

  routes.add('GET', '/admin/connections', admin, async (req, res) => {
    const page = await c.connections.list(parse(connectionFilters, req.query), 'admin');
    res.json(presentPage(page, presentConnection));
  });

  routes.add('POST', '/admin/connections/revoke', admin, async (req, res) => {
    const filter = parse(bulkRevokeFilter, req.body ?? {});
    res.json(await revokeConnections(c, filter, adminActorOf(c, req, res)));
  });

  routes.add('GET', '/admin/connections/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params);
    res.json(presentAdminConnection(await c.connections.get(id, 'admin')));
  });

  routes.add('DELETE', '/admin/connections/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params);
    await revokeConnection(c, id, adminActorOf(c, req, res));
    res.status(204).end();
  });

  routes.add('GET', '/admin/audit', admin, async (req, res) => {
    const filters = parse(auditFilters, req.query);
    // What this replica has counted but not written yet shows at once (others: within ~1 s).
    await c.audit.flush();
    const page = await listAuditEvents(c.db.prisma, filters);
    res.json(presentPage(page, presentAuditEvent));
  });
}
