import type { AuditOrigin } from './audit-log.js';

/** Who did something, as the audit trail records it (`actor_type`, `actor_id`). */
export interface Actor {
  type: 'admin' | 'service' | 'system';
  id: string | null;
  /** The request behind it (none for background work). */
  origin?: AuditOrigin | undefined;
}
