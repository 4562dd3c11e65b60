/** The columns of a `connections` row that a presented connection is made of. */
export interface ConnectionFields {
  id: string;
  providerKey: string;
  subject: string;
  status: string;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastRefreshedAt: Date | null;
  lastError: string | null;
}

/** A connection as the API answers it everywhere (API.md); never a token. */
export interface PresentedConnection {
  id: string;
  provider: string;
  subject: string;
  status: string;
  scopes: string[];
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  last_refreshed_at: string | null;
  last_error: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/**
 * The one shape of a connection in responses, for the admin and the service API alike.
 *
 * @example
 * res.json(presentConnection(await prisma.connection.findUniqueOrThrow({ where: { id } })));
 */
export function presentConnection(row: ConnectionFields): PresentedConnection {
  return {
    id: row.id,
    provider: row.providerKey,
    subject: row.subject,
    status: row.status,
    scopes: row.scopes,
    expires_at: iso(row.expiresAt),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    last_refreshed_at: iso(row.lastRefreshedAt),
    last_error: row.lastError,
  };
}

/** What the admin sees beyond the common shape: when and how a revocation went. */
export interface PresentedAdminConnection extends PresentedConnection {
  revoked_at: string | null;
  /** `succeeded`, `failed` (retried in the background), `not_supported`, or null. */
  upstream_revocation: string | null;
}

/**
 * A connection for `GET /admin/connections/{id}`: the common shape plus the revocation
 * outcome, since `DELETE` answers 204 without a body.
 *
 * @example
 * res.json(presentAdminConnection(row));
 */
export function presentAdminConnection(
  row: ConnectionFields & { revokedAt: Date | null; upstreamRevocation: string | null },
): PresentedAdminConnection {
  return {
    ...presentConnection(row),
    revoked_at: iso(row.revokedAt),
    upstream_revocation: row.upstreamRevocation,
  };
}

/** An audit event as `GET /admin/audit` answers it. */
export interface PresentedAuditEvent {
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  connection_id: string | null;
  provider: string | null;
  outcome: string;
  detail: unknown;
}

/**
 * @example
 * presentAuditEvent(row) // { id: '42', at: '2026-…', actor_type: 'admin', action: 'connection.revoke', … }
 */
export function presentAuditEvent(row: {
  id: bigint;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  connectionId: string | null;
  providerKey: string | null;
  outcome: string;
  detail: unknown;
}): PresentedAuditEvent {
  return {
    id: row.id.toString(),
    at: row.at.toISOString(),
    actor_type: row.actorType,
    actor_id: row.actorId,
    action: row.action,
    connection_id: row.connectionId,
    provider: row.providerKey,
    outcome: row.outcome,
    detail: row.detail,
  };
}
