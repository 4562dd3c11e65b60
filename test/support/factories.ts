import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerMetadata } from 'openid-client';
import request from 'supertest';
import type { ProviderRecord } from '../../src/providers/types.js';
import type { PrismaClient } from '../../src/db/client.js';
import { newId } from '../../src/ids.js';
import type { Keyring } from '../../src/vault/keyring.js';
import { sealTokenSet } from '../../src/vault/token-set.js';
import type { TestBroker } from './broker.js';
import type { Upstream } from './upstream.js';

/**
 * Inserts a provider pointing at an in-process oidc-provider (client `broker`), the way
 * the admin API stores one (secret encrypted under the keyring).
 */
export async function buildProvider(
  prisma: PrismaClient,
  keyring: Keyring,
  upstream: Upstream,
  overrides: { key?: string; clientId?: string; clientSecret?: string } = {},
) {
  const key = overrides.key ?? `idp-${Math.random().toString(36).slice(2, 8)}`;
  const metadata = (await (
    await fetch(`${upstream.issuer}/.well-known/openid-configuration`)
  ).json()) as ServerMetadata;
  return prisma.provider.create({
    data: {
      key,
      displayName: `Test ${key}`,
      issuer: upstream.issuer,
      metadata: metadata,
      clientId: overrides.clientId ?? 'broker',
      clientAuthMethod: 'client_secret_basic',
      keyId: keyring.currentKid,
      clientSecret: keyring.encrypt(overrides.clientSecret ?? 'broker-secret', {
        table: 'providers',
        id: key,
        field: 'client_secret',
      }),
      scopes: ['openid', 'offline_access', 'api'],
    },
  });
}

/** Inserts an active connection holding real upstream tokens, encrypted. */
export async function buildConnection(
  prisma: PrismaClient,
  keyring: Keyring,
  input: {
    providerKey: string;
    /** The owner; unowned when absent (like an old one the migration could not attribute). */
    serviceId?: string | null;
    subject?: string;
    accessToken: string;
    refreshToken?: string;
    expiresAt: Date | null;
    status?: string;
  },
) {
  const id = newId('conn');
  const connection = await prisma.connection.create({
    data: {
      id,
      serviceId: input.serviceId ?? null,
      providerKey: input.providerKey,
      subject: input.subject ?? `user-${Math.random().toString(36).slice(2, 10)}`,
      status: input.status ?? 'active',
      scopes: ['openid', 'offline_access', 'api'],
      expiresAt: input.expiresAt,
    },
  });
  await prisma.tokenSet.create({
    data: {
      connectionId: id,
      ...sealTokenSet(keyring, id, {
        accessToken: input.accessToken,
        refreshToken: input.refreshToken,
        idToken: undefined,
        tokenType: 'Bearer',
        expiresAt: input.expiresAt,
      }),
    },
  });
  return connection;
}

/** A decrypted provider record as the OAuth layer sees it, for tests below the HTTP API. */
export const providerRecord = (
  key: string,
  metadata: ServerMetadata,
  overrides: Partial<ProviderRecord> = {},
): ProviderRecord => ({
  key,
  displayName: key,
  template: null,
  authMode: 'oauth2',
  issuer: null,
  metadata,
  clientId: 'broker',
  clientAuthMethod: 'client_secret_basic',
  clientSecret: 'broker-secret',
  clientKey: undefined,
  scopes: [],
  scopeSeparator: ' ',
  authorizationParams: {},
  tokenParams: {},
  config: {},
  status: 'active',
  probeAt: null,
  distinctRedirectUri: false,
  apiBaseUrl: null,
  updatedAt: new Date(),
  ...overrides,
});

/** The fields of API.md's Connection, sorted: what every connection read must answer, and nothing more (never a token). */
export const CONNECTION_FIELDS = [
  'created_at',
  'expires_at',
  'id',
  'last_error',
  'last_refreshed_at',
  'metadata',
  'provider',
  'scopes',
  'service_id',
  'status',
  'subject',
  'updated_at',
];

export const bearer = (credential: string) => ({ Authorization: `Bearer ${credential}` });

/** Registers a provider through the admin API. */
export async function registerProvider(broker: TestBroker, body: object): Promise<void> {
  await request(broker.url)
    .post('/admin/providers')
    .set(bearer(broker.adminToken))
    .send(body)
    .expect(201);
}

/** A loopback URL nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return `http://127.0.0.1:${port}/token`;
}
