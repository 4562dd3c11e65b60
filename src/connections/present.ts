/** The columns a connection is presented from. */
export interface ConnectionRow {
  id: string;
  serviceId: string | null;
  providerKey: string;
  subject: string;
  status: string;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastRefreshedAt: Date | null;
  lastError: string | null;
  /** The template's non-secret account identifiers (a JSON object; `{}` when none). */
  metadata: unknown;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A connection as every API returns it (API.md) — never a token.
 *
 * @example res.json(presentConnection(row))
 */
export const presentConnection = (c: ConnectionRow) => ({
  id: c.id,
  service_id: c.serviceId,
  provider: c.providerKey,
  subject: c.subject,
  status: c.status,
  scopes: c.scopes,
  metadata: isObject(c.metadata) ? c.metadata : {},
  expires_at: iso(c.expiresAt),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
  last_refreshed_at: iso(c.lastRefreshedAt),
  last_error: c.lastError,
});

/** A connection as the API answers it everywhere. */
export type PresentedConnection = ReturnType<typeof presentConnection>;

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
