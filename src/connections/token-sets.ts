import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import type { TokenResult } from '../providers/types.js';
import { markMisconfigured } from '../providers/health.js';
import { ProviderFaultError, type UpstreamError } from '../providers/upstream-errors.js';
import { nextRefreshAt, retryAt } from '../refresh/schedule.js';
import type { Keyring } from '../vault/keyring.js';
import {
  openTokenSet,
  sealTokenSet,
  type PlainTokenSet,
  type SealedTokenSet,
} from '../vault/token-set.js';
import { enqueueEvent } from '../webhooks/outbox.js';

/** Advisory lock namespace (two-int form) of per-connection refresh locks. */
export const REFRESH_LOCK_NAMESPACE = 0x74627266;

/** A connection with its current access token (never the refresh token), from one query. */
export interface TokenSnapshot {
  connectionId: string;
  /** The owning service (null: an older connection no service could be found for). */
  serviceId: string | null;
  providerKey: string;
  subject: string;
  status: string;
  scopes: string[];
  /** token_sets.version, or null when the connection has no tokens. */
  version: number | null;
  tokens: PlainTokenSet | undefined;
  /** Non-secret extras kept from the token response or callback (instance_url, realmId). */
  metadata: Record<string, unknown>;
  /** Per-connection template values (a Shopify shop), checked when the connect session was made. */
  connectionConfig: Record<string, string>;
}

interface SnapshotRow {
  id: string;
  service_id: string | null;
  provider_key: string;
  subject: string;
  status: string;
  scopes: string[];
  key_id: string | null;
  access_token: Buffer | null;
  id_token: Buffer | null;
  token_type: string | null;
  expires_at: Date | null;
  version: number | null;
  metadata: Record<string, unknown> | null;
  connection_config: Record<string, string> | null;
}

const SNAPSHOT_SQL = `SELECT c.id, c.service_id, c.provider_key, c.subject, c.status, c.scopes, c.metadata,
  c.connection_config, t.key_id, t.access_token, t.id_token, t.token_type, t.expires_at, t.version
  FROM connections c LEFT JOIN token_sets t ON t.connection_id = c.id WHERE c.id = $1`;

/** A connection row locked for refresh, with its token set. */
export type LockedConnection = NonNullable<Awaited<ReturnType<typeof lockConnection>>>;

/**
 * Takes the connection's cross-process refresh lock (held until the transaction ends)
 * and reads the connection and its token set afresh. The row lock also serialises a
 * refresh with a revocation (which locks the row `FOR UPDATE`): a revoke waits for an
 * in-flight refresh and then revokes the new tokens, never the other way round.
 */
export async function lockConnection(tx: Prisma.TransactionClient, id: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${REFRESH_LOCK_NAMESPACE}::int, hashtext(${id}))`;
  await tx.$executeRaw`SELECT 1 FROM connections WHERE id = ${id} FOR UPDATE`;
  return tx.connection.findUnique({ where: { id }, include: { tokenSet: true } });
}

/** The stored values of one refresh result (see `prepareRefreshed`). */
export interface RefreshedValues {
  sealed: SealedTokenSet;
  /** The provider's new scopes; undefined keeps the stored ones. */
  scopes: string[] | undefined;
  nextRefreshAt: Date | null;
}

/** The `data` of a connection's outbox events. */
export const eventData = (
  row: Pick<LockedConnection, 'id' | 'serviceId' | 'providerKey' | 'subject'>,
  status: string,
  error?: string,
) => ({
  connection_id: row.id,
  service_id: row.serviceId,
  provider: row.providerKey,
  subject: row.subject,
  status,
  ...(error === undefined ? {} : { error }),
});

/** Token persistence of the read path and the refresh. */
export function createTokenStore(deps: {
  pool: pg.Pool;
  keyring: Keyring;
  refreshWindowSeconds: number;
  refreshKeepAliveDays: number;
}) {
  const { keyring } = deps;
  const schedule = {
    windowSeconds: deps.refreshWindowSeconds,
    keepAliveDays: deps.refreshKeepAliveDays,
  };

  /**
   * What a refresh result stores: the sealed token set (the provider's new refresh token
   * or the old one; the expiry measured from before the request, so never later than the
   * provider's own), the new scopes if the provider sent any, and the next refresh time.
   */
  function prepareRefreshed(
    row: { id: string; authType: string },
    previous: PlainTokenSet,
    result: TokenResult,
    requestedAt: Date,
    now: Date,
  ): RefreshedValues {
    const expiresAt =
      result.expiresIn === undefined
        ? null
        : new Date(requestedAt.getTime() + result.expiresIn * 1000);
    const refreshToken = result.refreshToken ?? previous.refreshToken;
    const sealed = sealTokenSet(keyring, row.id, {
      accessToken: result.accessToken,
      refreshToken,
      idToken: result.idToken ?? previous.idToken,
      tokenType: result.tokenType,
      expiresAt,
    });
    const scopes = result.scope?.split(/[\s,]+/).filter(Boolean);
    return {
      sealed,
      scopes: scopes && scopes.length > 0 ? scopes : undefined,
      nextRefreshAt: nextRefreshAt(schedule, {
        expiresAt,
        // A client_credentials connection is renewed without a refresh token.
        hasRefreshToken: refreshToken !== undefined || row.authType === 'client_credentials',
        now,
      }),
    };
  }

  return {
    /** One indexed query: the connection joined with its token set, access token decrypted. */
    async snapshot(id: string): Promise<TokenSnapshot | undefined> {
      const { rows } = await deps.pool.query<SnapshotRow>({
        name: 'token-snapshot',
        text: SNAPSHOT_SQL,
        values: [id],
      });
      const r = rows[0];
      if (!r) return undefined;
      const tokens =
        r.key_id && r.access_token
          ? openTokenSet(keyring, r.id, {
              keyId: r.key_id,
              accessToken: r.access_token,
              refreshToken: null,
              idToken: r.id_token,
              tokenType: r.token_type ?? 'Bearer',
              expiresAt: r.expires_at,
            })
          : undefined;
      return {
        connectionId: r.id,
        serviceId: r.service_id,
        providerKey: r.provider_key,
        subject: r.subject,
        status: r.status,
        scopes: r.scopes,
        version: r.version,
        tokens,
        metadata: r.metadata ?? {},
        connectionConfig: r.connection_config ?? {},
      };
    },

    /** The decrypted token set of a locked row (refresh token included; memory only). */
    open(row: {
      id: string;
      tokenSet: Parameters<typeof openTokenSet>[2] | null;
    }): PlainTokenSet | undefined {
      return row.tokenSet ? openTokenSet(keyring, row.id, row.tokenSet) : undefined;
    },

    prepareRefreshed,

    /**
     * Stores a refresh result over the locked row: the provider's new refresh token or
     * the old one, version + 1, the next refresh time, the `connection.refreshed` event.
     */
    async writeRefreshed(
      tx: Prisma.TransactionClient,
      row: LockedConnection,
      previous: PlainTokenSet,
      result: TokenResult,
      requestedAt: Date,
      now: Date,
    ): Promise<void> {
      const next = prepareRefreshed(row, previous, result, requestedAt, now);
      await tx.tokenSet.update({
        where: { connectionId: row.id },
        data: { ...next.sealed, version: { increment: 1 }, refreshTokenUsedAt: null },
      });
      await tx.connection.update({
        where: { id: row.id },
        data: {
          expiresAt: next.sealed.expiresAt,
          ...(next.scopes ? { scopes: next.scopes } : {}),
          lastRefreshedAt: now,
          nextRefreshAt: next.nextRefreshAt,
          refreshFailures: 0,
          lastError: null,
        },
      });
      await enqueueEvent(tx, 'connection.refreshed', eventData(row, 'active'), now);
    },

    /**
     * Records a failed refresh. Permanent: the connection needs the user again
     * (`reauthorization_required`). Transient: failures + 1 and a jittered exponential
     * back-off for the refresher (see `retryAt`); a provider fault also marks the provider.
     */
    async writeFailure(
      tx: Prisma.TransactionClient,
      row: LockedConnection,
      error: UpstreamError,
      now: Date,
    ): Promise<void> {
      if (error.permanent) {
        await tx.connection.update({
          where: { id: row.id },
          data: {
            status: 'reauthorization_required',
            lastError: error.errorClass,
            refreshFailures: { increment: 1 },
            nextRefreshAt: null,
          },
        });
        await enqueueEvent(
          tx,
          'connection.reauthorization_required',
          eventData(row, 'reauthorization_required', error.errorClass),
          now,
        );
        return;
      }
      if (error instanceof ProviderFaultError) {
        await markMisconfigured(tx, row.providerKey, error.errorClass, now);
      }
      await tx.connection.update({
        where: { id: row.id },
        data: {
          lastError: error.errorClass,
          refreshFailures: { increment: 1 },
          nextRefreshAt: retryAt(row.refreshFailures, error.retryAfterSeconds, now),
        },
      });
      await enqueueEvent(
        tx,
        'connection.refresh_failed',
        eventData(row, row.status, error.errorClass),
        now,
      );
    },
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
