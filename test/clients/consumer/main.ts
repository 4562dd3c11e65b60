// Runs in a temporary project where the packed @token-broker/client is installed
// (test/clients/typescript-client.test.ts): it uses the package as a service would and
// prints what it saw as one JSON line.
import { readFileSync } from 'node:fs';
import {
  BrokerError,
  createTokenBrokerClient,
  InvalidRequestError,
  NotFoundError,
  unwrap,
  verifyWebhook,
  WebhookVerificationError,
  type Token,
} from '@token-broker/client';

interface Input {
  baseUrl: string;
  apiKey: string;
  connectionId: string;
  webhook: { body: string; headers: Record<string, string>; secret: string };
}
const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Input;
const { connectionId } = input;

const requests: string[] = [];
const broker = createTokenBrokerClient({
  baseUrl: input.baseUrl,
  credential: input.apiKey,
  fetch: (request) => {
    const url = new URL(request.url);
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    return fetch(request);
  },
});

const caught = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
};
const described = (error: unknown) =>
  error instanceof BrokerError
    ? { name: error.name, code: error.code, status: error.status, isBrokerError: true }
    : { name: String(error) };

const first: Token = await broker.getToken(connectionId, { minTtl: 120 });
const second = await broker.getToken(connectionId, { minTtl: 120 });
const afterFirstTwo = requests.length;
broker.forgetToken(connectionId);
const concurrent = await Promise.all([1, 2, 3].map(() => broker.getToken(connectionId)));
const afterConcurrent = requests.length;

const me = await broker.proxy(connectionId, 'me');
const missing = await caught(() => broker.getToken('conn_missing'));
const escaping = await caught(() => broker.proxy(connectionId, 'a%2Fb'));
const connection = unwrap(
  await broker.api.GET('/v1/connections/{id}', { params: { path: { id: connectionId } } }),
);

const { body, headers, secret } = input.webhook;
const event = verifyWebhook(body, headers, secret);
const tampered = await caught(async () =>
  verifyWebhook(body.replace(connectionId, 'conn_other'), headers, secret),
);

process.stdout.write(
  JSON.stringify({
    token: {
      accessToken: first.access_token,
      secondFromCache: second.access_token === first.access_token,
      requestsForTwoReads: afterFirstTwo,
      concurrentShareOne: concurrent.every((t) => t.access_token === first.access_token),
      requestsForThreeConcurrentReads: afterConcurrent - afterFirstTwo,
    },
    proxy: {
      status: me.status,
      attempts: me.headers.get('broker-attempts'),
      body: await me.json(),
    },
    errors: {
      missing: { ...described(missing), isNotFound: missing instanceof NotFoundError },
      escaping: {
        ...described(escaping),
        isInvalidRequest: escaping instanceof InvalidRequestError,
      },
    },
    connection: { id: connection.id, status: connection.status },
    webhook: {
      type: event.type,
      connectionId: 'connection_id' in event.data ? event.data.connection_id : undefined,
      tamperedRefused: tampered instanceof WebhookVerificationError,
    },
    requests,
  }) + '\n',
);
