import { z } from 'zod';
import { timestamp } from '../validate.js';
import { CONNECTION_STATUSES, type ConnectionStatus } from './schemas.js';

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

/** The non-secret account identifiers a template keeps (`{}` when none); never a token. */
export const accountMetadataSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'non-secret account identifiers the template keeps (Salesforce instance_url, Slack team_id, GitHub user and installation ids, …)',
  );

/** A connection as every API returns it (API.md) — never a token. */
export const connectionSchema = z.object({
  id: z.string(),
  service_id: z
    .string()
    .nullable()
    .describe('the owning service; null for an older connection no service could be found for'),
  provider: z.string(),
  subject: z.string(),
  status: z.enum(CONNECTION_STATUSES),
  scopes: z.array(z.string()),
  metadata: accountMetadataSchema,
  expires_at: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  last_refreshed_at: timestamp.nullable(),
  last_error: z.string().nullable(),
});

/** A connection as the API answers it everywhere. */
export type PresentedConnection = z.output<typeof connectionSchema>;

/**
 * A connection as every API returns it (API.md) — never a token.
 *
 * @example res.json(presentConnection(row))
 */
export const presentConnection = (c: ConnectionRow): PresentedConnection => ({
  id: c.id,
  service_id: c.serviceId,
  provider: c.providerKey,
  subject: c.subject,
  // The column holds only these (connections/ writes every status change).
  status: c.status as ConnectionStatus,
  scopes: c.scopes,
  metadata: isObject(c.metadata) ? c.metadata : {},
  expires_at: iso(c.expiresAt),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
  last_refreshed_at: iso(c.lastRefreshedAt),
  last_error: c.lastError,
});

/** What the admin sees beyond the common shape: when and how a revocation went. */
export const adminConnectionSchema = connectionSchema.extend({
  revoked_at: timestamp.nullable(),
  upstream_revocation: z
    .string()
    .nullable()
    .describe('succeeded, failed (retried in the background), not_supported, or null'),
});

export type PresentedAdminConnection = z.output<typeof adminConnectionSchema>;

/** The answer of `POST /admin/connections/revoke`. */
export const revokedConnectionsSchema = z.object({
  revoked: z.number().int(),
  upstream_failed: z.number().int().describe('revoked here; the provider call is retried'),
  connection_ids: z.array(z.string()),
});

export type RevokedConnections = z.output<typeof revokedConnectionsSchema>;

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
