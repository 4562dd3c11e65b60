import type { Actor } from '../audit/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ChangeFeed } from '../cache/change-feed.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import { notFound } from '../errors/index.js';
import { openTokenSet } from '../vault/token-set.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import { settleOwedRevocation } from './owed-revocations.js';
import type { RevokedConnections } from './present.js';
import type { BulkRevokeFilter } from './schemas.js';
import {
  inFlightRevocationColumns,
  owedTokens,
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

/** The local erase only: no provider call runs inside the transaction. */
const TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * Revokes a connection in two steps, so that no provider call holds a pooled database
 * connection or a row lock (a slow provider would otherwise stall the replica):
 *
 * 1. In one short transaction under a row lock: the token set is erased, the status set
 *    to `revoked`, the refresher's schedule and lease cleared, `connection.revoked` queued
 *    and {@link CONNECTION_CHANNEL} notified. The tokens still owed upstream are kept
 *    encrypted in `connections.pending_revocation`, due for `retryPendingRevocations` only
 *    after two minutes (`IN_FLIGHT_GRACE_MS`): should this replica die during step 2, the retry job
 *    finishes the work.
 * 2. RFC 7009 revocation of the refresh token and then the access token at the provider
 *    (when it has a revocation endpoint); what the provider refused stays owed and backs
 *    off, and `upstreamRevocation` is `failed`.
 *
 * Revoking a revoked connection does nothing (idempotent). Called by
 * `DELETE /admin/connections/{id}`, `DELETE /v1/connections/{id}`, the console, the CLI
 * and provider-sent revocations.
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
  const erased = await c.db.prisma.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM connections WHERE id = ${connectionId} FOR UPDATE`;
      if (locked.length === 0) throw notFound(`connection ${connectionId}`);
      const row = await tx.connection.findUniqueOrThrow({
        where: { id: connectionId },
        include: { tokenSet: true },
      });
      if (row.status === 'revoked') return undefined;
      const owed = tokensOf(c, row);
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
          upstreamRevocation: null,
          ...inFlightRevocationColumns(c, connectionId, owed, now),
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
      return { providerKey: row.providerKey, owed };
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 5_000 },
  );
  if (!erased) return { connectionId, alreadyRevoked: true, upstreamRevocation: null };
  // Other replicas hear the NOTIFY; this one drops its cached token before answering.
  c.changes.announce(CONNECTION_CHANNEL, connectionId);

  const upstream = await revokeAtProvider(c, erased.providerKey, erased.owed);
  if (erased.owed.length > 0) {
    await settleOwedRevocation({ ...c, prisma: c.db.prisma }, connectionId, {
      tried: erased.owed,
      remaining: upstream.remaining,
      attempts: 1,
      outcome: upstream.outcome,
    });
  }
  c.audit.record({
    actorType: actor.type,
    actorId: actor.id,
    action: 'connection.revoke',
    connectionId,
    providerKey: erased.providerKey,
    outcome: 'success',
    detail: {
      upstream_revocation: upstream.outcome,
      ...(upstream.errorClass ? { upstream_error: upstream.errorClass } : {}),
    },
    origin: actor.origin,
  });
  // A revocation is rare and must be on record before the caller is told it happened.
  await c.audit.flush();
  return { connectionId, alreadyRevoked: false, upstreamRevocation: upstream.outcome };
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

/** Revocations running at once in a bulk revoke (each waits on the provider in turn). */
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
): Promise<RevokedConnections> {
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
