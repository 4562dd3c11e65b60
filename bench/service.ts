import { randomBytes } from 'node:crypto';
import type { Child } from './processes.js';
import { BENCH_PROVIDER } from './seed.js';

/**
 * A new service on `broker` that may reach every seeded connection, with its two kinds of
 * credential: the API key and a JWT from the client-credentials grant.
 *
 * @example const [[, apiKey], [, jwt]] = await benchCredentials(broker, adminToken);
 */
export async function benchCredentials(broker: Child, adminToken: string) {
  const created = await fetch(`${broker.url}/admin/services`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `bench-${randomBytes(3).toString('hex')}`,
      allowed_providers: [BENCH_PROVIDER],
      // The seeded connections belong to no service: reach them through the provider.
      connection_access: 'provider',
    }),
  });
  const service = (await created.json()) as {
    client_id: string;
    client_secret: string;
    api_key: string;
  };
  const res = await fetch(`${broker.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const jwt = ((await res.json()) as { access_token: string }).access_token;
  return [
    ['API key', service.api_key],
    ['JWT', jwt],
  ] as const;
}
