import type { JWK, ServerMetadata } from 'openid-client';
import type { PrismaClient } from '../db/client.js';
import type { Keyring } from '../vault/keyring.js';
import type { ClientAuthMethod, ProviderRecord } from './types.js';

type ProviderRow = NonNullable<Awaited<ReturnType<PrismaClient['provider']['findUnique']>>>;

const asStrings = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' ? (value as Record<string, string>) : {};

/** Decrypts a provider row into the record the OAuth layer uses. */
export function toProviderRecord(row: ProviderRow, keyring: Keyring): ProviderRecord {
  const open = (field: 'client_secret' | 'client_key', sealed: Uint8Array | null) =>
    sealed && row.keyId
      ? keyring.decrypt(sealed, row.keyId, { table: 'providers', id: row.key, field })
      : undefined;
  const key = open('client_key', row.clientKey);
  return {
    key: row.key,
    displayName: row.displayName,
    template: row.template,
    authMode: row.authMode === 'api_key' || row.authMode === 'basic' ? row.authMode : 'oauth2',
    issuer: row.issuer,
    metadata: row.metadata as unknown as ServerMetadata,
    clientId: row.clientId,
    clientAuthMethod: row.clientAuthMethod as ClientAuthMethod,
    clientSecret: open('client_secret', row.clientSecret),
    clientKey: key === undefined ? undefined : (JSON.parse(key) as JWK),
    scopes: row.scopes,
    scopeSeparator: row.scopeSeparator,
    authorizationParams: asStrings(row.authorizationParams),
    tokenParams: asStrings(row.tokenParams),
    config: asStrings(row.config),
    distinctRedirectUri: row.distinctRedirectUri,
    status: row.status === 'misconfigured' ? 'misconfigured' : 'active',
    probeAt: row.probeAt,
    apiBaseUrl: row.apiBaseUrl,
    updatedAt: row.updatedAt,
  };
}

/**
 * Reads providers with a short cache (providers change rarely; the token read path
 * must not pay a query and a decryption for them every time).
 *
 * @example
 * const provider = await providers.get('github'); // undefined when unknown
 */
export function createProviderStore(deps: {
  prisma: PrismaClient;
  keyring: Keyring;
  ttlMs?: number;
}) {
  const ttl = deps.ttlMs ?? 5_000;
  const cache = new Map<string, { at: number; record: Promise<ProviderRecord | undefined> }>();
  return {
    get(key: string): Promise<ProviderRecord | undefined> {
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttl) return hit.record;
      const record = deps.prisma.provider
        .findUnique({ where: { key } })
        .then((row) => (row ? toProviderRecord(row, deps.keyring) : undefined));
      cache.set(key, { at: Date.now(), record });
      record.catch(() => cache.delete(key));
      return record;
    },
    /** Drops a cached provider after it was changed or deleted. */
    invalidate(key: string): void {
      cache.delete(key);
    },
  };
}

export type ProviderStore = ReturnType<typeof createProviderStore>;
