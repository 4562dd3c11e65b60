import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../ids.js';
import type { ConnectionMetadata } from '../providers/connection-metadata.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { TokenResult } from '../providers/types.js';
import type { ProviderStore } from '../providers/store.js';
import { nextRefreshAt } from '../refresh/schedule.js';
import type { Keyring } from '../vault/keyring.js';
import { openTokenSet, sealTokenSet } from '../vault/token-set.js';
import { BrokerError, notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import { decodeJwt } from 'jose';
import { revokeReplacedToken } from './upstream-revocation.js';

/** What a domain service needs to obtain a grant from a provider and store it as a connection. */
export interface GrantWriterDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  providers: ProviderStore;
  oauth: ProviderOAuth;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  refreshWindowSeconds: number;
  refreshKeepAliveDays: number;
}

export interface NewGrant {
  /** The owner: the service the grant is stored for (its own subject namespace). */
  serviceId: string;
  providerKey: string;
  subject: string;
  /** Reconnect: replace this connection's tokens (it keeps its id and subject). */
  connectionId?: string | undefined;
  tokens: Omit<TokenResult, 'response'>;
  scopes: string[];
  connectionConfig: Record<string, string>;
  now: Date;
  refreshWindowSeconds: number;
  refreshKeepAliveDays: number;
  /** Non-secret extras from the token response or callback (connection-metadata.ts). */
  metadata?: ConnectionMetadata;
  /** How the connection gets tokens: `oauth2` (default), `client_credentials`, `api_key`, `basic`. */
  authType?: string;
}

/** `iss` and `sub` of an ID token the broker validated when it stored it. */
function accountOf(idToken: string | undefined): string | undefined {
  if (!idToken) return undefined;
  try {
    const { iss, sub } = decodeJwt(idToken);
    return iss && sub ? `${iss} ${sub}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether both grants are for one account at the provider (their ID tokens say so). Such a
 * provider may keep both refresh tokens in one grant (oidc-provider, Google): revoking the
 * old one would revoke the new one with it.
 */
function sameUpstreamAccount(before: string | undefined, after: string | undefined): boolean {
  const account = accountOf(before);
  return account !== undefined && account === accountOf(after);
}

/**
 * The connection a reconnect replaces, locked; a revoked or missing one is refused (the
 * session was checked at mint, but the connection may have gone since).
 */
async function reconnectTarget(tx: Prisma.TransactionClient, id: string) {
  await tx.$executeRaw`SELECT 1 FROM connections WHERE id = ${id} FOR UPDATE`;
  const row = await tx.connection.findUnique({ where: { id }, include: { tokenSet: true } });
  if (!row) throw notFound('connection');
  if (row.status === 'revoked') throw new BrokerError('revoked', 'the connection was revoked');
  return row;
}

/**
 * Stores a consented grant (or a client credentials or static credentials one): upserts the
 * connection for `(service, provider, subject)` (keeping its id when it exists), replaces its token set encrypted, and writes `connection.created`
 * to the webhook outbox — all in one transaction.
 *
 * @example
 * const { connection, reconnected } = await saveConnection(prisma, keyring, grant);
 */
export async function saveConnection(prisma: PrismaClient, keyring: Keyring, g: NewGrant) {
  const expiresAt =
    g.tokens.expiresIn === undefined ? null : new Date(g.now.getTime() + g.tokens.expiresIn * 1000);
  const state = {
    status: 'active',
    scopes: g.scopes,
    expiresAt,
    lastError: null,
    nextRefreshAt: nextRefreshAt(
      { windowSeconds: g.refreshWindowSeconds, keepAliveDays: g.refreshKeepAliveDays },
      {
        expiresAt,
        hasRefreshToken: g.tokens.refreshToken !== undefined || g.authType === 'client_credentials',
        now: g.now,
      },
    ),
    refreshFailures: 0,
    revokedAt: null,
    connectionConfig: g.connectionConfig,
    metadata: g.metadata ?? {},
    authType: g.authType ?? 'oauth2',
  };
  return prisma.$transaction(async (tx) => {
    const key = { serviceId: g.serviceId, providerKey: g.providerKey, subject: g.subject };
    const existing = g.connectionId
      ? await reconnectTarget(tx, g.connectionId)
      : await tx.connection.findUnique({
          where: { serviceId_providerKey_subject: key },
          include: { tokenSet: true },
        });
    const id = existing?.id ?? newId('conn');
    const connection = existing
      ? await tx.connection.update({ where: { id }, data: state })
      : await tx.connection.create({ data: { id, ...key, ...state } });
    const replaced = existing?.tokenSet ? openTokenSet(keyring, id, existing.tokenSet) : undefined;
    const sealed = sealTokenSet(keyring, connection.id, {
      accessToken: g.tokens.accessToken,
      refreshToken: g.tokens.refreshToken,
      idToken: g.tokens.idToken,
      tokenType: g.tokens.tokenType,
      expiresAt,
    });
    await tx.tokenSet.upsert({
      where: { connectionId: connection.id },
      create: { connectionId: connection.id, ...sealed },
      update: { ...sealed, version: { increment: 1 }, refreshTokenUsedAt: null },
    });
    const reconnected = existing !== null;
    await enqueueEvent(
      tx,
      'connection.created',
      {
        connection_id: connection.id,
        service_id: connection.serviceId,
        provider: connection.providerKey,
        subject: connection.subject,
        status: 'active',
        ...(reconnected ? { reconnected: true } : {}),
      },
      g.now,
    );
    const replacedRefreshToken =
      replaced?.refreshToken &&
      replaced.refreshToken !== g.tokens.refreshToken &&
      !sameUpstreamAccount(replaced.idToken, g.tokens.idToken)
        ? replaced.refreshToken
        : undefined;
    return { connection, reconnected, replacedRefreshToken };
  });
}

/**
 * {@link saveConnection}, then revokes at the provider the refresh token the new grant
 * replaced, where it has a revocation endpoint (best effort, never throws: the new grant is
 * stored either way). Not when both grants are for the same upstream account: there the
 * provider may hold the new refresh token in the same grant.
 *
 * @example
 * const { connection, reconnected } = await saveGrant(deps, grant);
 */
export async function saveGrant(deps: GrantWriterDeps, g: NewGrant) {
  const saved = await saveConnection(deps.prisma, deps.keyring, g);
  if (saved.replacedRefreshToken) {
    await revokeReplacedToken(deps, g.providerKey, saved.replacedRefreshToken);
  }
  return saved;
}
