import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Keyring } from '../vault/keyring.js';

/** The one algorithm broker JWTs are signed and verified with. */
export const BROKER_JWT_ALG = 'ES256';
/** Longest lifetime of a broker JWT, in seconds (API.md: ≤ 15 min). */
export const BROKER_JWT_TTL_SECONDS = 600;
/** How long a replica keeps using the signing key it loaded before looking again. */
const KEY_CACHE_MS = 60_000;
/** A retired key verifies until every JWT it signed (even by a replica with a stale cache) expired. */
const RETIRED_KEY_GRACE_MS = (BROKER_JWT_TTL_SECONDS + 60) * 1000 + KEY_CACHE_MS;
/** Advisory lock (two-int form) serialising key creation and rotation across replicas. */
const LOCK_NAMESPACE = 0x74626b73;

export interface ActiveSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

interface Deps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
}

const privateCtx = (kid: string) => ({ table: 'signing_keys', id: kid, field: 'private_jwk' });

const lock = (tx: Prisma.TransactionClient) =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, 0)`;

async function createKey(tx: Prisma.TransactionClient, deps: Deps) {
  const { privateKey, publicKey } = await generateKeyPair(BROKER_JWT_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  await tx.signingKey.create({
    data: {
      kid,
      alg: BROKER_JWT_ALG,
      keyId: deps.keyring.currentKid,
      privateJwk: deps.keyring.encrypt(JSON.stringify(privateJwk), privateCtx(kid)),
      publicJwk: { ...publicJwk, kid, alg: BROKER_JWT_ALG, use: 'sig' },
      createdAt: deps.clock.now(),
    },
  });
  return kid;
}

/**
 * Starts signing with a new key: every current key is retired (it keeps verifying until the
 * JWTs it signed have expired) and keys past that point are deleted. Safe on many replicas
 * at once (advisory lock); the others pick the new key up within a minute.
 *
 * @example
 * const { kid, retired } = await rotateSigningKeys({ prisma, keyring, clock: systemClock });
 */
export async function rotateSigningKeys(deps: Deps): Promise<{ kid: string; retired: string[] }> {
  return deps.prisma.$transaction(async (tx) => {
    await lock(tx);
    const now = deps.clock.now();
    const current = await tx.signingKey.findMany({ where: { retiredAt: null } });
    await tx.signingKey.updateMany({
      where: { retiredAt: null },
      data: { retiredAt: now, expiresAt: new Date(now.getTime() + RETIRED_KEY_GRACE_MS) },
    });
    await tx.signingKey.deleteMany({ where: { expiresAt: { lt: now } } });
    const kid = await createKey(tx, deps);
    return { kid, retired: current.map((k) => k.kid) };
  });
}

/**
 * The broker's JWT signing keys (ES256), kept in `signing_keys` with the private half
 * encrypted. The first key is created on first need, once across replicas.
 *
 * @example
 * const keys = createSigningKeys({ prisma, keyring, clock });
 * const { kid, privateKey } = await keys.active();
 */
export function createSigningKeys(deps: Deps) {
  let active: { at: number; key: Promise<ActiveSigningKey> } | undefined;
  const verifying = new Map<string, { at: number; key: CryptoKey; expiresAt: Date | null }>();

  async function loadActive(): Promise<ActiveSigningKey> {
    const find = (db: Prisma.TransactionClient | PrismaClient) =>
      db.signingKey.findFirst({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    let row = await find(deps.prisma);
    row ??= await deps.prisma.$transaction(async (tx) => {
      await lock(tx);
      const existing = await find(tx);
      if (existing) return existing;
      const kid = await createKey(tx, deps);
      return tx.signingKey.findUniqueOrThrow({ where: { kid } });
    });
    const jwk = JSON.parse(
      deps.keyring.decrypt(row.privateJwk, row.keyId, privateCtx(row.kid)),
    ) as JWK;
    return { kid: row.kid, privateKey: (await importJWK(jwk, row.alg)) as CryptoKey };
  }

  function activeKey(): Promise<ActiveSigningKey> {
    const now = Date.now();
    if (active && now - active.at < KEY_CACHE_MS) return active.key;
    const key = loadActive();
    active = { at: now, key };
    key.catch(() => {
      active = undefined;
    });
    return key;
  }

  return {
    /** The key new JWTs are signed with (created on first need). */
    active: activeKey,

    /** The public key for a `kid`, while it may still verify; undefined for an unknown or expired key. */
    async verificationKey(kid: string): Promise<CryptoKey | undefined> {
      const now = deps.clock.now();
      const hit = verifying.get(kid);
      if (hit && Date.now() - hit.at < KEY_CACHE_MS) {
        return hit.expiresAt && hit.expiresAt <= now ? undefined : hit.key;
      }
      const row = await deps.prisma.signingKey.findUnique({ where: { kid } });
      if (!row || row.alg !== BROKER_JWT_ALG || (row.expiresAt && row.expiresAt <= now)) {
        verifying.delete(kid);
        return undefined;
      }
      const key = (await importJWK(row.publicJwk as JWK, BROKER_JWT_ALG)) as CryptoKey;
      verifying.set(kid, { at: Date.now(), key, expiresAt: row.expiresAt });
      return key;
    },

    /** Every public key that may still verify a JWT (the current ones and retired-but-valid ones). */
    async publicJwks(): Promise<{ keys: JWK[] }> {
      await activeKey();
      const rows = await deps.prisma.signingKey.findMany({
        where: { OR: [{ expiresAt: null }, { expiresAt: { gt: deps.clock.now() } }] },
        orderBy: { createdAt: 'desc' },
      });
      return { keys: rows.map((r) => r.publicJwk as JWK) };
    },

    /** Rotates now (see `rotateSigningKeys`) and drops this replica's cached signing key. */
    async rotate() {
      const result = await rotateSigningKeys(deps);
      active = undefined;
      return result;
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
