import type { Actor } from './actor.js';
import type { AuditEntry } from './audit-log.js';

/**
 * The audit entry of an admin change (providers, services, keys, webhooks, console
 * sign-ins), never carrying a secret: `detail` names what changed, not its new value.
 *
 * @example
 * c.audit.record(adminAction(actor, 'service.update', { service_id: id, fields: 'name' }));
 */
export function adminAction(
  actor: Actor,
  action: string,
  detail: Record<string, string | number | boolean | null>,
  providerKey: string | null = null,
): AuditEntry {
  return {
    actorType: actor.type,
    actorId: actor.id,
    action,
    connectionId: null,
    providerKey,
    outcome: 'success',
    detail,
    origin: actor.origin,
  };
}
