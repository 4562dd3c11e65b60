import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import { bearer, buildProvider } from '../support/factories.js';
import type { Upstream } from '../support/upstream.js';

export interface CreatedService {
  id: string;
  client_id: string;
  client_secret: string;
  api_key: string;
}

/** A service created through the admin API, with its once-shown credentials. */
export async function createService(
  broker: TestBroker,
  allowedProviders: string[],
  extra: Record<string, unknown> = {},
): Promise<CreatedService> {
  const res = await request(broker.url)
    .post('/admin/services')
    .set(bearer(broker.adminToken))
    // These suites read connections built straight into the database (buildConnection, no
    // owner): `provider` access reaches them. Ownership itself: test/connect/ownership.test.ts.
    .send({
      name: 'svc',
      allowed_providers: allowedProviders,
      connection_access: 'provider',
      ...extra,
    })
    .expect(201);
  return res.body as CreatedService;
}

/** The upstream client every test provider uses. */
export const brokerClient = {
  client_id: 'broker',
  client_secret: 'broker-secret',
  redirect_uris: ['http://127.0.0.1/cb'],
};

/** A provider whose token endpoint is `tokenEndpoint` instead of the upstream's. */
export async function buildProviderAt(
  broker: TestBroker,
  upstream: Upstream,
  tokenEndpoint: string,
) {
  const p = await buildProvider(broker.db.prisma, broker.container.keyring, upstream);
  const metadata = { ...(p.metadata as Record<string, unknown>), token_endpoint: tokenEndpoint };
  return broker.db.prisma.provider.update({ where: { key: p.key }, data: { metadata } });
}
