import type { Actor } from '../audit/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ChangeFeed } from '../cache/change-feed.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import { notFound } from '../errors/index.js';
import { openTokenSet } from '../vault/token-set.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import type { BulkRevokeFilter } from './schemas.js';
import {
  owedTokens,
  pendingRevocationColumns,
  revokeAtProvider,
  type OwedToken,
  type UpstreamRevocation,
  type UpstreamRevocationDeps,
} from './upstream-revocation.js';

/**
 * Postgres `NOTIFY` channel announcing revoked connections. The payload is the connection
 * id; it is sent inside the revoking transaction, so listeners hear it exactly when the
 * revocation is committed. A replica caching connection state or tokens `LISTEN`s here
 * and drops the entry, which keeps the "no replica serves a revoked token later than 1 s"
 * promise without a database read per request.
 */
export const CONNECTION_CHANNEL = 'token_broker_connection';

export interface RevokeResult {
  connectionId: string;
  /** True when the connection was revoked before this call (nothing was done). */
  alreadyRevoked: boolean;
  /** What the provider said; null when there was nothing to revoke there. */
  upstreamRevocation: UpstreamRevocation | null;
}

/** What a revocation needs; the container provides it. */
export interface RevokeDeps extends UpstreamRevocationDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  changes: ChangeFeed;
}

/** Two provider calls of 10 s each, plus the writes. */
const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * Revokes a connection: under a row lock, RFC 7009 revocation of the refresh token and
 * then the access token at the provider (when it has a revocation endpoint), then in the
 * same transaction the token set is erased, the status set to `revoked`, the refresher's
 * schedule and lease cleared, `connection.revoked` queued and {@link CONNECTION_CHANNEL}
 * notified. Revoking a revoked connection does nothing (idempotent).
 *
 * If the provider fails, the local revocation still happens; the tokens still owed are
 * kept encrypted in `connections.pending_revocation` for `retryPendingRevocations`, and
 * `upstreamRevocation` is `failed`.
 *
 * Called by `DELETE /admin/connections/{id}`, `DELETE /v1/connections/{id}`, the console
 * and the CLI.
 *
 * @throws BrokerError `not_found` when there is no such connection.
 * @example
 * const { upstreamRevocation } = await revokeConnection(c, 'conn_…', { type: 'admin', id: 'admin' });
 */
export async function revokeConnection(
  c: RevokeDeps,
  connectionId: string,
  actor: Actor,
): Promise<RevokeResult> {
  let revoked: { providerKey: string; errorClass: string | undefined } | undefined;
  const result = await c.db.prisma.$transaction(
    async (tx): Promise<RevokeResult> => {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM connections WHERE id = ${connectionId} FOR UPDATE`;
      if (locked.length === 0) throw notFound(`connection ${connectionId}`);
      const row = await tx.connection.findUniqueOrThrow({
        where: { id: connectionId },
        include: { tokenSet: true },
      });
      if (row.status === 'revoked') {
        return { connectionId, alreadyRevoked: true, upstreamRevocation: null };
      }
      const upstream = await revokeAtProvider(c, row.providerKey, tokensOf(c, row));
      const now = c.clock.now();
      await tx.tokenSet.deleteMany({ where: { connectionId } });
      await tx.connection.update({
        where: { id: connectionId },
        data: {
          status: 'revoked',
          revokedAt: now,
          nextRefreshAt: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          upstreamRevocation: upstream.outcome,
          ...pendingRevocationColumns(c, connectionId, upstream.remaining, now, 1),
        },
      });
      await enqueueEvent(
        tx,
        'connection.revoked',
        {
          connection_id: connectionId,
          service_id: row.serviceId,
          provider: row.providerKey,
          subject: row.subject,
          status: 'revoked',
        },
        now,
      );
      await tx.$executeRaw`SELECT pg_notify(${CONNECTION_CHANNEL}, ${connectionId})`;
      revoked = { providerKey: row.providerKey, errorClass: upstream.errorClass };
      return { connectionId, alreadyRevoked: false, upstreamRevocation: upstream.outcome };
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 5_000 },
  );
  if (revoked) {
    // Other replicas hear the NOTIFY; this one drops its cached token before answering.
    c.changes.announce(CONNECTION_CHANNEL, connectionId);
    c.audit.record({
      actorType: actor.type,
      actorId: actor.id,
      action: 'connection.revoke',
      connectionId,
      providerKey: revoked.providerKey,
      outcome: 'success',
      detail: {
        upstream_revocation: result.upstreamRevocation,
        ...(revoked.errorClass ? { upstream_error: revoked.errorClass } : {}),
      },
    });
    // A revocation is rare and must be on record before the caller is told it happened.
    await c.audit.flush();
  }
  return result;
}

/** The tokens of a row to revoke upstream; an unreadable token set cannot be, and is only erased. */
function tokensOf(
  c: RevokeDeps,
  row: {
    id: string;
    tokenSet: Parameters<typeof openTokenSet>[2] | null;
  },
): OwedToken[] {
  if (!row.tokenSet) return [];
  try {
    return owedTokens(openTokenSet(c.keyring, row.id, row.tokenSet));
  } catch (error) {
    c.logger.error(
      { connection_id: row.id, err: (error as Error).message },
      'token set unreadable; erasing it without upstream revocation',
    );
    return [];
  }
}

/** Revocations running at once in a bulk revoke (each holds a pool connection). */
const BULK_CONCURRENCY = 4;

/**
 * Revokes every connection, not yet revoked, of a provider and/or a subject (an employee
 * leaves; a provider is retired), each one as {@link revokeConnection} does.
 *
 * @example
 * const { revoked, upstream_failed } = await revokeConnections(c, { subject: 'user-42' }, actor);
 */
export async function revokeConnections(
  c: RevokeDeps,
  filter: BulkRevokeFilter,
  actor: Actor,
): Promise<{ revoked: number; upstream_failed: number; connection_ids: string[] }> {
  const targets = await c.db.prisma.connection.findMany({
    where: {
      status: { not: 'revoked' },
      ...(filter.provider ? { providerKey: filter.provider } : {}),
      ...(filter.subject ? { subject: filter.subject } : {}),
    },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  });
  const ids: string[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++];
      if (!target) return;
      const result = await revokeConnection(c, target.id, actor);
      if (result.alreadyRevoked) continue;
      ids.push(target.id);
      if (result.upstreamRevocation === 'failed') failed++;
    }
  };
  await Promise.all(Array.from({ length: BULK_CONCURRENCY }, worker));
  return { revoked: ids.length, upstream_failed: failed, connection_ids: ids.sort() };
}
