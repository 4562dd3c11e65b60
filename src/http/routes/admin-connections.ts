import type { Response } from 'express';
import { listAuditEvents } from '../../audit/query.js';
import { getConnection, listConnections } from '../../connections/queries.js';
import { presentAdminConnection, presentAuditEvent } from '../../audit/present.js';
import { presentConnection } from '../../connections/present.js';
import { revokeConnection, revokeConnections, type Actor } from '../../connections/revoke.js';
import { auditFilters, bulkRevokeFilter, connectionFilters, idParam } from '../../connections/schemas.js';
import type { Container } from '../../container.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** The admin set by requireAdmin. */
const actorOf = (res: Response): Actor => res.locals.actor as Actor;

/** Admin connections, revocation and the audit trail. */
export function registerAdminConnectionRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);

  routes.add('GET', '/admin/connections', admin, async (req, res) => {
    const page = await listConnections(c.db.prisma, parse(connectionFilters, req.query));
    res.json({ data: page.data.map(presentConnection), next_cursor: page.nextCursor });
  });

  routes.add('POST', '/admin/connections/revoke', admin, async (req, res) => {
    const filter = parse(bulkRevokeFilter, req.body ?? {});
    res.json(await revokeConnections(c, filter, actorOf(res)));
  });

  routes.add('GET', '/admin/connections/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params);
    res.json(presentAdminConnection(await getConnection(c.db.prisma, id)));
  });

  routes.add('DELETE', '/admin/connections/:id', admin, async (req, res) => {
    const { id } = parse(idParam, req.params);
    await revokeConnection(c, id, actorOf(res));
    res.status(204).end();
  });

  routes.add('GET', '/admin/audit', admin, async (req, res) => {
    const filters = parse(auditFilters, req.query);
    // What this replica has counted but not written yet shows at once (others: within ~1 s).
    await c.audit.flush();
    const page = await listAuditEvents(c.db.prisma, filters);
    res.json({ data: page.data.map(presentAuditEvent), next_cursor: page.nextCursor });
  });
}
