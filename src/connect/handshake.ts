import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { invalidRequest, notFound } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import type { ConnectionMetadata } from '../providers/connection-metadata.js';
import type { TokenResult } from '../providers/types.js';
import type { Keyring } from '../vault/keyring.js';
import type { CompleteBody } from './schema.js';
import { matchesHash, randomToken, sha256 } from './secrets.js';

/** How long a grant waits for the app's `complete` after the callback. */
export const HOLD_TTL_MS = 10 * 60 * 1000;

/** A grant the callback obtained, waiting for the app handshake (encrypted at rest). */
export interface HeldGrant {
  tokens: Omit<TokenResult, 'response'>;
  scopes: string[];
  metadata: ConnectionMetadata;
  /** When the provider answered: `expires_in` counts from here, not from `complete`. */
  receivedAt: number;
}

const cipher = (sessionId: string) => ({
  table: 'connect_sessions',
  id: sessionId,
  field: 'held_grant',
});

/** RFC 7636 S256: base64url(SHA-256(verifier)). */
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface HandshakeDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
  logger: Logger;
}

/** The grant, with `expires_in` shortened by the time it waited (never reported late). */
export function grantAt(held: HeldGrant, now: Date): HeldGrant {
  const waited = Math.max(0, Math.ceil((now.getTime() - held.receivedAt) / 1000));
  const { expiresIn } = held.tokens;
  return {
    ...held,
    tokens: { ...held.tokens, expiresIn: expiresIn === undefined ? undefined : expiresIn - waited },
  };
}

/**
 * Keeps a grant with its connect session until the app completes the handshake, and
 * returns the one-time `code` for the redirect (only its SHA-256 is stored).
 *
 * @example
 * const code = await holdGrant(deps, session.id, { tokens, scopes, metadata, receivedAt: Date.now() });
 */
export async function holdGrant(
  deps: HandshakeDeps,
  sessionId: string,
  grant: HeldGrant,
): Promise<string> {
  const code = randomToken();
  const now = deps.clock.now();
  await deps.prisma.connectSession.update({
    where: { id: sessionId },
    data: {
      codeHash: sha256(code),
      heldGrant: deps.keyring.encrypt(JSON.stringify(grant), cipher(sessionId)),
      heldKeyId: deps.keyring.currentKid,
      heldUntil: new Date(now.getTime() + HOLD_TTL_MS),
      finishedAt: now,
    },
  });
  return code;
}

/** A held grant claimed by a valid `complete`: the session's target and the grant. */
export interface ClaimedGrant {
  session: { id: string; serviceId: string; providerKey: string; subject: string };
  connectionId: string | null;
  connectionConfig: Record<string, string>;
  grant: HeldGrant;
}

/**
 * Checks `complete {code, code_verifier}` and takes the held grant (once). A wrong code or
 * verifier spends nothing, so the app may still complete with the right ones; another
 * service's session is 404.
 *
 * @throws BrokerError not_found (unknown, or another service's session), invalid_request
 *   (no handshake on this session, not finished, already completed, expired, wrong code or verifier).
 */
export async function claimHeldGrant(
  deps: HandshakeDeps,
  serviceId: string,
  sessionId: string,
  body: CompleteBody,
): Promise<ClaimedGrant> {
  const s = await deps.prisma.connectSession.findUnique({ where: { id: sessionId } });
  if (!s || s.serviceId !== serviceId) throw notFound('connect session');
  if (!s.codeChallenge)
    throw invalidRequest('this connect session was minted without code_challenge');
  if (s.completedAt) throw invalidRequest('code: already used');
  const now = deps.clock.now();
  if (!s.heldGrant || !s.heldKeyId || !s.codeHash || !s.heldUntil || !s.providerKey) {
    throw invalidRequest('code: the user has not finished this connect session');
  }
  if (s.heldUntil <= now) throw invalidRequest('code: expired');
  if (!matchesHash(body.code, s.codeHash)) throw invalidRequest('code: not valid');
  if (!sameText(s256(body.code_verifier), s.codeChallenge)) {
    throw invalidRequest('code_verifier: does not match the code_challenge');
  }
  const taken = await deps.prisma.connectSession.updateMany({
    where: { id: s.id, completedAt: null, heldGrant: { not: null } },
    data: { completedAt: now, heldGrant: null, heldKeyId: null, codeHash: null },
  });
  if (taken.count === 0) throw invalidRequest('code: already used');
  const grant = JSON.parse(
    deps.keyring.decrypt(s.heldGrant, s.heldKeyId, cipher(s.id)),
  ) as HeldGrant;
  return {
    session: { id: s.id, serviceId: s.serviceId, providerKey: s.providerKey, subject: s.subject },
    connectionId: s.connectionId,
    connectionConfig: s.connectionConfig as Record<string, string>,
    grant: grantAt(grant, now),
  };
}

/**
 * Housekeeping: grants never completed within `HOLD_TTL_MS` are erased and, where the
 * provider has a revocation endpoint, revoked there (refresh token first). Returns how
 * many were discarded. One failing revocation never stops the rest.
 */
export async function discardExpiredGrants(
  deps: HandshakeDeps & {
    revoke(providerKey: string, tokens: Omit<TokenResult, 'response'>): Promise<void>;
  },
  limit = 100,
): Promise<number> {
  const now = deps.clock.now();
  const rows = await deps.prisma.connectSession.findMany({
    where: { heldGrant: { not: null }, heldUntil: { lte: now }, completedAt: null },
    select: { id: true, providerKey: true, heldGrant: true, heldKeyId: true },
    take: limit,
  });
  let discarded = 0;
  for (const row of rows) {
    const taken = await deps.prisma.connectSession.updateMany({
      where: { id: row.id, completedAt: null, heldGrant: { not: null } },
      data: { heldGrant: null, heldKeyId: null, codeHash: null },
    });
    if (taken.count === 0 || !row.heldGrant || !row.heldKeyId || !row.providerKey) continue;
    discarded += 1;
    try {
      const grant = JSON.parse(
        deps.keyring.decrypt(row.heldGrant, row.heldKeyId, cipher(row.id)),
      ) as HeldGrant;
      await deps.revoke(row.providerKey, grant.tokens);
    } catch (error) {
      deps.logger.warn(
        { connect_session: row.id, err: (error as Error).name },
        'revoking an uncompleted grant failed',
      );
    }
  }
  return discarded;
}
