/** Who did something, as the audit trail records it (`actor_type`, `actor_id`). */
export interface Actor {
  type: 'admin' | 'service' | 'system';
  id: string | null;
}
