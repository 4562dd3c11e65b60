import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Keyring } from '../vault/keyring.js';
import {
  openPendingRevocation,
  pendingRevocationColumns,
  type OwedToken,
  type UpstreamRevocation,
} from './upstream-revocation.js';

/** What the writers of `connections.pending_revocation` need. */
export interface OwedRevocationDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
}

const TRANSACTION = { timeout: 10_000, maxWait: 5_000 };

/** `a` then whatever of `b` is not in it. */
const union = (a: OwedToken[], b: OwedToken[]) => [
  ...a,
  ...b.filter((t) => !a.some((o) => o.token === t.token)),
];

/** The row locked, with what it owes upstream now. */
async function lockOwed(tx: Prisma.TransactionClient, c: { keyring: Keyring }, id: string) {
  await tx.$executeRaw`SELECT 1 FROM connections WHERE id = ${id} FOR UPDATE`;
  const row = await tx.connection.findUnique({
    where: { id },
    select: {
      status: true,
      pendingRevocation: true,
      pendingRevocationKeyId: true,
      revocationAttempts: true,
    },
  });
  if (!row) return undefined;
  const owed =
    row.pendingRevocation && row.pendingRevocationKeyId
      ? openPendingRevocation(c, id, row.pendingRevocation, row.pendingRevocationKeyId)
      : [];
  return { ...row, owed };
}

/**
 * Records the end of a round of RFC 7009 calls for a connection: the tokens it tried
 * (`tried`) leave what is owed, those the provider refused (`remaining`) stay. Tokens added
 * meanwhile by someone else (a refresh that finished after the revocation) are kept: the
 * list is merged under the row lock, never overwritten.
 *
 * @example
 * await settleOwedRevocation(c, 'conn_…', { tried: owed, remaining, attempts: 1, outcome: 'failed' });
 */
export async function settleOwedRevocation(
  c: OwedRevocationDeps,
  connectionId: string,
  round: {
    tried: OwedToken[];
    remaining: OwedToken[];
    attempts: number;
    outcome: UpstreamRevocation | null;
  },
): Promise<void> {
  await c.prisma.$transaction(async (tx) => {
    const row = await lockOwed(tx, c, connectionId);
    if (!row) return;
    const others = row.owed.filter((t) => !round.tried.some((o) => o.token === t.token));
    const owed = union(round.remaining, others);
    await tx.connection.update({
      where: { id: connectionId },
      data: {
        upstreamRevocation: round.outcome,
        ...pendingRevocationColumns(c, connectionId, owed, c.clock.now(), round.attempts),
      },
    });
  }, TRANSACTION);
}

/**
 * Adds tokens the provider issued to a connection that was revoked while they were being
 * issued (a refresh in flight when the revocation landed) to what it owes upstream, due
 * for the revocation retry job at once. Returns false, and records nothing, when the
 * connection is not revoked.
 *
 * @example
 * if (!written) await oweIfRevoked(c, row.id, owedTokens(result));
 */
export async function oweIfRevoked(
  c: OwedRevocationDeps,
  connectionId: string,
  tokens: OwedToken[],
): Promise<boolean> {
  if (tokens.length === 0) return false;
  return c.prisma.$transaction(async (tx) => {
    const row = await lockOwed(tx, c, connectionId);
    if (row?.status !== 'revoked') return false;
    const now = c.clock.now();
    const columns = pendingRevocationColumns(
      c,
      connectionId,
      union(row.owed, tokens),
      now,
      row.revocationAttempts,
    );
    await tx.connection.update({
      where: { id: connectionId },
      data: { ...columns, revocationRetryAt: now },
    });
    return true;
  }, TRANSACTION);
}
