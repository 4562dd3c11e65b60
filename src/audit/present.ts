import { presentConnection, type ConnectionRow } from '../connections/present.js';

/** A connection as the API answers it everywhere (src/connections/present.ts). */
export type PresentedConnection = ReturnType<typeof presentConnection>;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

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
  row: ConnectionRow & { revokedAt: Date | null; upstreamRevocation: string | null },
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
