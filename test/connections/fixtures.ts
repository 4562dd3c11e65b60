import type { PrismaClient } from '../../src/db/client.js';
import type { Keyring } from '../../src/vault/keyring.js';
import { startTestBroker } from '../support/broker.js';
import { buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

/** The broker's client at the test upstream (what buildProvider registers). */
export const UPSTREAM_CLIENT = {
  client_id: 'broker',
  client_secret: 'broker-secret',
  redirect_uris: ['http://127.0.0.1/oauth/callback'],
};

/**
 * oidc-provider with the broker's client registered, a broker, and a provider of the
 * broker pointing at it: the set-up of the revocation and console suites.
 */
export async function startBrokerAndUpstream() {
  const upstream = await startUpstream({ clients: [UPSTREAM_CLIENT] });
  const broker = await startTestBroker();
  const { prisma } = broker.container.db;
  const providerKey = (await buildProvider(prisma, broker.container.keyring, upstream)).key;
  return {
    upstream,
    broker,
    providerKey,
    async close() {
      await broker.close();
      await upstream.close();
    },
  };
}

/** A provider without a revocation endpoint (revocation is local only). */
export function plainProvider(prisma: PrismaClient, key: string) {
  return prisma.provider.create({
    data: {
      key,
      displayName: `Plain ${key}`,
      metadata: {
        issuer: `https://${key}.example`,
        authorization_endpoint: `https://${key}.example/authorize`,
        token_endpoint: `https://${key}.example/token`,
      },
      clientId: 'broker',
      clientAuthMethod: 'client_secret_basic',
    },
  });
}

/** A connection holding fake tokens (for providers the test never calls). */
export function fakeConnection(
  prisma: PrismaClient,
  keyring: Keyring,
  providerKey: string,
  subject?: string,
) {
  return buildConnection(prisma, keyring, {
    providerKey,
    ...(subject ? { subject } : {}),
    accessToken: `at-${Math.random()}`,
    refreshToken: `rt-${Math.random()}`,
    expiresAt: new Date(Date.now() + 3600_000),
  });
}

/** A connection holding real tokens issued by the upstream for `subject`. */
export async function upstreamConnection(
  prisma: PrismaClient,
  keyring: Keyring,
  upstream: Upstream,
  providerKey: string,
  subject: string,
) {
  const tokens = await upstream.issueTokens(UPSTREAM_CLIENT.client_id, subject);
  const connection = await buildConnection(prisma, keyring, {
    providerKey,
    subject,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: new Date(Date.now() + tokens.expires_in * 1000),
  });
  return { connection, tokens };
}

/** Whether the upstream still considers a token active (RFC 7662). */
export async function isActive(upstream: Upstream, token: string): Promise<boolean> {
  const r = await upstream.introspect(
    UPSTREAM_CLIENT.client_id,
    UPSTREAM_CLIENT.client_secret,
    token,
  );
  return r.active;
}
