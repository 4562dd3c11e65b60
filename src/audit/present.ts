import type { ChainedRow } from './chain.js';
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
  /** The request it came from and its client IP; null for background work. */
  request_id: string | null;
  client_ip: string | null;
}

/**
 * @example
 * presentAuditEvent(row) // { id: '42', at: '2026-…', actor_type: 'admin', action: 'connection.revoke', … }
 */
export function presentAuditEvent(
  row: Omit<ChainedRow, 'seq'> & { id: bigint },
): PresentedAuditEvent {
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
    request_id: row.requestId,
    client_ip: row.clientIp,
  };
}
