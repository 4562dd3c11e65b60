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
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

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
  expires_at: iso(c.expiresAt),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
  last_refreshed_at: iso(c.lastRefreshedAt),
  last_error: c.lastError,
});
