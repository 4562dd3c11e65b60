import { z } from 'zod';
import { timestamp } from '../validate.js';
import type { ChainedRow } from './chain.js';

/** An audit event as `GET /admin/audit` answers it. */
export const auditEntrySchema = z.object({
  id: z.string(),
  at: timestamp,
  actor_type: z.string().describe('admin, service or system'),
  actor_id: z.string().nullable(),
  action: z.string().describe('e.g. token.read, connection.revoke, service.create'),
  connection_id: z.string().nullable(),
  provider: z.string().nullable(),
  outcome: z.string(),
  detail: z.unknown().describe('what the action concerned (never a secret)'),
  request_id: z.string().nullable().describe('the request it came from; null for background work'),
  client_ip: z.string().nullable(),
});

export type PresentedAuditEvent = z.output<typeof auditEntrySchema>;

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
