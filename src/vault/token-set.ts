import type { Keyring } from './keyring.js';

/** A connection's tokens in the clear; only ever held in memory. */
export interface PlainTokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  tokenType: string;
  expiresAt: Date | null;
}

/** The encrypted columns of a `token_sets` row. */
export interface SealedTokenSet {
  keyId: string;
  accessToken: Uint8Array<ArrayBuffer>;
  refreshToken: Uint8Array<ArrayBuffer> | null;
  idToken: Uint8Array<ArrayBuffer> | null;
  tokenType: string;
  expiresAt: Date | null;
}

const ctx = (connectionId: string, field: string) => ({
  table: 'token_sets',
  id: connectionId,
  field,
});

/**
 * Encrypts a token set for the `token_sets` row of `connectionId` (AAD binds each field to it).
 *
 * @example
 * await prisma.tokenSet.create({ data: { connectionId, ...sealTokenSet(keyring, connectionId, tokens) } });
 */
export function sealTokenSet(
  keyring: Keyring,
  connectionId: string,
  t: PlainTokenSet,
): SealedTokenSet {
  const seal = (field: string, value: string | undefined) =>
    value === undefined ? null : keyring.encrypt(value, ctx(connectionId, field));
  return {
    keyId: keyring.currentKid,
    accessToken: keyring.encrypt(t.accessToken, ctx(connectionId, 'access_token')),
    refreshToken: seal('refresh_token', t.refreshToken),
    idToken: seal('id_token', t.idToken),
    tokenType: t.tokenType,
    expiresAt: t.expiresAt,
  };
}

/**
 * Decrypts a `token_sets` row.
 * @throws BrokerError `server_error` when a ciphertext fails authentication.
 */
export function openTokenSet(
  keyring: Keyring,
  connectionId: string,
  row: {
    keyId: string;
    accessToken: Uint8Array;
    refreshToken: Uint8Array | null;
    idToken: Uint8Array | null;
    tokenType: string;
    expiresAt: Date | null;
  },
): PlainTokenSet {
  const open = (field: string, sealed: Uint8Array | null) =>
    sealed === null ? undefined : keyring.decrypt(sealed, row.keyId, ctx(connectionId, field));
  return {
    accessToken: keyring.decrypt(row.accessToken, row.keyId, ctx(connectionId, 'access_token')),
    refreshToken: open('refresh_token', row.refreshToken),
    idToken: open('id_token', row.idToken),
    tokenType: row.tokenType,
    expiresAt: row.expiresAt,
  };
}
