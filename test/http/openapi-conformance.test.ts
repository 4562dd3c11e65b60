import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { newId } from '../../src/ids.js';
import { APP_ORIGIN, cookieOf } from '../connect/helpers.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from '../connect/fake-authorization-server.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { buildConnection } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

// ajv-formats is CommonJS: its default export arrives as the module object's `default`.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  operationId: string;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: object }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Operation['responses'][string]> };
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** An app server for the proxy and the webhook endpoint: 200 `{"ok":true}` to anything. */
async function startEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(req.method === 'HEAD' ? undefined : '{"ok":true}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/**
 * Sends a valid request to every operation of the served /openapi.json and checks each
 * answer against the document: its status is documented, its media type is, and its body
 * matches the schema (ajv, JSON Schema 2020-12, formats checked; a field the schema does
 * not list fails where the schema says `additionalProperties: false`).
 */
describe('every documented operation answers as /openapi.json says', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let fake: FakeAuthorizationServer;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let doc: Document;
  let ajv: Ajv2020;
  const operations = new Map<string, { method: string; path: string; op: Operation }>();
  const sampled = new Map<string, number[]>();
  const problems: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream({
      features: { deviceFlow: { enabled: true } },
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: ['http://127.0.0.1/cb'],
          grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        },
      ],
    });
    fake = await startFakeAuthorizationServer({ clientId: 'c', clientSecret: 's' });
    fake.setBehavior('github');
    echo = await startEcho();
    broker = await startTestBroker();
    doc = (await (await fetch(`${broker.url}/openapi.json`)).json()) as Document;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations.set(op.operationId, { method: method.toUpperCase(), path, op });
      }
    }
    ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    ajv.addKeyword('components');
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });
  });
  afterAll(async () => {
    await broker?.close();
    await echo?.close();
    await fake?.close();
    await upstream?.close();
  });

  const validators = new Map<object, ValidateFunction>();
  const validatorOf = (schema: { $ref?: string }) => {
    let validate = validators.get(schema);
    if (!validate) {
      const rooted = schema.$ref?.startsWith('#') ? { $ref: `openapi.json${schema.$ref}` } : schema;
      validate = ajv.compile(rooted);
      validators.set(schema, validate);
    }
    return validate;
  };

  /** Checks one answer against the operation's documented responses. */
  function conform(operationId: string, res: Response, text: string): void {
    const { op } = operations.get(operationId)!;
    let documented = op.responses[String(res.status)] ?? op.responses.default;
    if (!documented) {
      problems.push(
        `${operationId}: status ${res.status} is not documented (${text.slice(0, 200)})`,
      );
      return;
    }
    if (documented.$ref) documented = doc.components.responses[documented.$ref.split('/').pop()!]!;
    if (!documented.content || text === '') return;
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = documented.content[mediaType] ?? documented.content['*/*'];
    if (!media) {
      problems.push(`${operationId}: ${res.status} answered ${mediaType}, not documented`);
      return;
    }
    if (!media.schema || mediaType !== 'application/json') return;
    const validate = validatorOf(media.schema);
    if (!validate(JSON.parse(text))) {
      const errors = (validate.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
      );
      problems.push(`${operationId}: ${res.status} body: ${errors.join('; ')}`);
    }
  }

  /**
   * Sends one sample request of `operationId` to `path` (the documented template filled
   * in) and checks the answer; fails the sample at once when its status is not `expected`.
   */
  async function send(
    operationId: string,
    path: string,
    expected: number,
    init: {
      body?: unknown;
      form?: Record<string, string> | [string, string][];
      token?: string;
      cookie?: string;
    } = {},
    extra: RequestInit = {},
  ): Promise<{ res: Response; text: string; body: Record<string, unknown> }> {
    const entry = operations.get(operationId);
    if (!entry) throw new Error(`no documented operation ${operationId}`);
    const template = new RegExp(`^${entry.path.replace(/\{[^}]+\}/g, '[^/]+')}(\\?.*)?$`);
    if (!template.test(path)) throw new Error(`${path} is not ${entry.path}`);
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.cookie = init.cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const res = await fetch(`${broker.url}${path}`, {
      method: entry.method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
      ...extra,
    });
    const text = await res.text();
    sampled.set(operationId, [...(sampled.get(operationId) ?? []), res.status]);
    conform(operationId, res, text);
    if (res.status !== expected) {
      throw new Error(
        `${operationId} answered ${res.status}, not ${expected}: ${text.slice(0, 300)}`,
      );
    }
    const parsed =
      res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : {};
    return { res, text, body: parsed as Record<string, unknown> };
  }

  it('sends a valid sample to each operation; every answer matches its documented schema', async () => {
    const admin = broker.adminToken;

    // Operations, metadata and the document itself.
    await send('getHealth', '/healthz', 200);
    await send('getReadiness', '/readyz', 200);
    await send('getMetrics', '/metrics', 200);
    await send('getOpenApiDocument', '/openapi.json', 200);
    await send('getStylesheet', '/assets/broker.css', 200);
    await send('getConsoleScript', '/assets/console.js', 200);
    await send('getAuthorizationServerMetadata', '/.well-known/oauth-authorization-server', 200);
    await send('getJwks', '/.well-known/jwks.json', 200);

    // Providers: oidc-provider by discovery (with an API for the proxy), the fake authorization
    // server for the browser flow (one with its own redirect URI), templates for webhooks.
    const idp = {
      key: 'idp',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access', 'api'],
      api_base_url: echo.url,
    };
    await send('createProvider', '/admin/providers', 201, { token: admin, body: idp });
    const hub = (key: string, distinct: boolean) => ({
      key,
      authorization_endpoint: fake.authorizationEndpoint,
      token_endpoint: fake.tokenEndpoint,
      client_id: 'c',
      client_secret: 's',
      client_auth_method: 'client_secret_post',
      scopes: ['repo'],
      distinct_redirect_uri: distinct,
    });
    await send('createProvider', '/admin/providers', 201, { token: admin, body: hub('hub', true) });
    await send('createProvider', '/admin/providers', 201, {
      token: admin,
      body: hub('hub2', false),
    });
    const fromTemplate = (key: string, template: string) => ({
      key,
      template,
      client_id: 'client',
      client_secret: 'client-secret',
      webhook_secret: 'whsecret',
    });
    for (const [key, template] of [
      ['gh', 'github'],
      ['dbx', 'dropbox'],
      ['spare', 'github'],
    ] as const) {
      await send('createProvider', '/admin/providers', 201, {
        token: admin,
        body: fromTemplate(key, template),
      });
    }
    await send('listProviders', '/admin/providers?limit=2', 200, { token: admin });
    await send('listProviderTemplates', '/admin/providers/templates', 200, { token: admin });
    await send('getProvider', '/admin/providers/idp', 200, { token: admin });
    await send('updateProvider', '/admin/providers/idp', 200, { token: admin, body: idp });
    await send('deleteProvider', '/admin/providers/spare', 204, { token: admin });

    // Services and their keys.
    const serviceBody = {
      name: 'App',
      allowed_providers: ['idp', 'hub', 'hub2'],
      allowed_return_to: [APP_ORIGIN],
    };
    const { body: app } = await send('createService', '/admin/services', 201, {
      token: admin,
      body: serviceBody,
    });
    const apiKey = String(app.api_key);
    const { body: spare } = await send('createService', '/admin/services', 201, {
      token: admin,
      body: { ...serviceBody, name: 'Spare' },
    });
    await send('listServices', '/admin/services', 200, { token: admin });
    await send('getService', `/admin/services/${String(app.id)}`, 200, { token: admin });
    await send('updateService', `/admin/services/${String(app.id)}`, 200, {
      token: admin,
      body: { display_name: 'Acme App' },
    });
    const { body: key } = await send(
      'createServiceKey',
      `/admin/services/${String(app.id)}/keys`,
      201,
      {
        token: admin,
        body: {},
      },
    );
    await send('listServiceKeys', `/admin/services/${String(app.id)}/keys`, 200, { token: admin });
    await send(
      'revokeServiceKey',
      `/admin/services/${String(app.id)}/keys/${String(key.id)}`,
      204,
      {
        token: admin,
      },
    );
    await send('deleteService', `/admin/services/${String(spare.id)}`, 204, { token: admin });
    await send('requestOAuthToken', '/oauth/token', 200, {
      form: {
        grant_type: 'client_credentials',
        client_id: String(app.client_id),
        client_secret: String(app.client_secret),
      },
    });

    await send(
      'rotateServiceClientSecret',
      `/admin/services/${String(app.id)}/client-secret`,
      201,
      {
        token: admin,
        body: {},
      },
    );

    // The service API: a connection holding real upstream tokens, one made without a browser.
    const issued = await upstream.issueTokens('broker', 'alice');
    const connection = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: 'idp',
      serviceId: String(app.id),
      subject: 'alice',
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await broker.db.prisma.connection.update({
      where: { id: connection.id },
      data: { metadata: { account_id: '42' } },
    });
    const service = { token: apiKey };
    await send('listAvailableProviders', '/v1/providers', 200, service);
    const { body: direct } = await send('createConnection', '/v1/connections', 201, {
      ...service,
      body: { type: 'api_key', provider: 'idp', subject: 'bob', api_key: 'k-123' },
    });
    const { body: device } = await send('createDeviceSession', '/v1/device-sessions', 201, {
      ...service,
      body: { provider: 'idp', subject: 'carol' },
    });
    await send('getDeviceSession', `/v1/device-sessions/${String(device.id)}`, 200, service);
    await send('listConnections', '/v1/connections?provider=idp&limit=10', 200, service);
    await send('getConnection', `/v1/connections/${connection.id}`, 200, service);
    await send(
      'getConnectionToken',
      `/v1/connections/${connection.id}/token?min_ttl=30`,
      200,
      service,
    );
    await send('refreshConnectionToken', `/v1/connections/${connection.id}/refresh`, 200, service);
    for (const method of ['Get', 'Put', 'Post', 'Delete', 'Options', 'Head', 'Patch']) {
      await send(`proxy${method}`, `/v1/connections/${connection.id}/proxy/items`, 200, service);
    }
    await send('revokeConnection', `/v1/connections/${String(direct.id)}`, 204, service);

    // The browser flow: the app handshake on a provider with its own redirect URI, then a
    // plain flow on the shared one.
    const verifier = randomBytes(32).toString('base64url');
    const { body: handshake } = await send('createConnectSession', '/v1/connect-sessions', 201, {
      ...service,
      body: {
        provider: 'hub',
        subject: 'dave',
        return_to: `${APP_ORIGIN}/done`,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      },
    });
    const consent = async (session: Record<string, unknown>, callbackOperation: string) => {
      const connectPath = new URL(String(session.connect_url)).pathname;
      const page = await send('getConnectPage', `${connectPath}?display=page`, 200);
      const browser = cookieOf(page.res);
      const start = await send('submitConnectPage', connectPath, 303, {
        cookie: browser,
        form: { csrf: csrfOf(page.text), action: 'continue' },
      });
      const authorize = await fetch(start.res.headers.get('location')!, { redirect: 'manual' });
      const back = new URL(authorize.headers.get('location')!);
      const done = await send(callbackOperation, `${back.pathname}${back.search}`, 302, {
        cookie: cookieOf(start.res),
      });
      return new URL(done.res.headers.get('location')!).searchParams;
    };
    const returned = await consent(handshake, 'handleProviderOAuthCallback');
    const { body: completed } = await send(
      'completeConnectSession',
      `/v1/connect-sessions/${String(handshake.id)}/complete`,
      200,
      { ...service, body: { code: returned.get('code'), code_verifier: verifier } },
    );
    const { body: plain } = await send('createConnectSession', '/v1/connect-sessions', 201, {
      ...service,
      body: { provider: 'hub2', subject: 'erin', return_to: `${APP_ORIGIN}/done` },
    });
    await consent(plain, 'handleOAuthCallback');
    await send('getConnectScript', '/connect.js', 200);
    await send('getConnectPopupScript', '/connect/popup.js', 200);

    // The admin API over connections and the audit trail.
    await send('adminListConnections', '/admin/connections?provider=idp&limit=5', 200, {
      token: admin,
    });
    await send('adminGetConnection', `/admin/connections/${connection.id}`, 200, { token: admin });
    await send('adminRevokeConnections', '/admin/connections/revoke', 200, {
      token: admin,
      body: { subject: 'nobody' },
    });
    await send('adminRevokeConnection', `/admin/connections/${String(completed.id)}`, 204, {
      token: admin,
    });
    await send('listAuditEntries', '/admin/audit?limit=20', 200, { token: admin });

    // Outbound webhooks: an endpoint, and a delivery of an event to it to replay.
    const { body: endpoint } = await send('createWebhookEndpoint', '/admin/webhooks', 201, {
      token: admin,
      body: { url: `${echo.url}/hook`, events: ['connection.revoked'] },
    });
    const endpointPath = `/admin/webhooks/${String(endpoint.id)}`;
    await send('listWebhookEndpoints', '/admin/webhooks', 200, { token: admin });
    await send('getWebhookEndpoint', endpointPath, 200, { token: admin });
    await send('updateWebhookEndpoint', endpointPath, 200, {
      token: admin,
      body: { enabled: true },
    });
    await send('rotateWebhookEndpointSecret', `${endpointPath}/rotate-secret`, 200, {
      token: admin,
    });
    const event = await broker.db.prisma.webhookEvent.create({
      data: { id: newId('evt'), type: 'connection.revoked', payload: {}, dispatchedAt: new Date() },
    });
    const delivery = await broker.db.prisma.webhookDelivery.create({
      data: {
        id: newId('dlv'),
        eventId: event.id,
        endpointId: String(endpoint.id),
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
      },
    });
    await send('listWebhookDeliveries', '/admin/webhook-deliveries?status=delivered', 200, {
      token: admin,
    });
    await send('replayWebhookDelivery', `/admin/webhook-deliveries/${delivery.id}/replay`, 202, {
      token: admin,
    });

    // Inbound provider webhooks: a signed GitHub delivery, Dropbox's challenge.
    const payload = JSON.stringify({ action: 'opened', installation: { id: 1 } });
    await send(
      'receiveProviderWebhook',
      '/webhooks/providers/gh',
      200,
      {},
      {
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': randomBytes(8).toString('hex'),
          'x-hub-signature-256': `sha256=${createHmac('sha256', 'whsecret').update(payload).digest('hex')}`,
        },
        body: payload,
      },
    );
    await send('answerProviderWebhookChallenge', '/webhooks/providers/dbx?challenge=abc', 200);

    // The console, signed in with the admin token.
    const signInPage = await send('getConsoleSignIn', '/console', 200);
    const signedIn = await send('consoleSignIn', '/console/sign-in', 303, {
      cookie: cookieOf(signInPage.res),
      form: { csrf: csrfOf(signInPage.text), token: admin },
    });
    const session = (
      signedIn.res.headers.getSetCookie().find((c) => c.startsWith('tb_console=')) ?? ''
    ).split(';')[0]!;
    const signedInCookie = { cookie: session };
    const list = await send('getConsoleConnections', '/console/connections', 200, signedInCookie);
    const csrf = csrfOf(list.text);
    const doomed = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: 'idp',
      serviceId: String(app.id),
      accessToken: 'at-doomed',
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await send(
      'getConsoleConnection',
      `/console/connections/${connection.id}`,
      200,
      signedInCookie,
    );
    await send(
      'getConsoleRevokeConfirmation',
      `/console/connections/${doomed.id}/revoke`,
      200,
      signedInCookie,
    );
    await send(
      'consoleCreateReconnectLink',
      `/console/connections/${doomed.id}/reconnect-link`,
      201,
      { ...signedInCookie, form: { csrf } },
    );
    await send('consoleRevokeConnection', `/console/connections/${doomed.id}/revoke`, 303, {
      ...signedInCookie,
      form: { csrf },
    });
    for (const [operationId, path] of [
      ['getConsoleProviders', '/console/providers'],
      ['getConsoleServices', '/console/services'],
      ['getConsoleOverview', '/console/overview'],
      ['getConsoleAudit', '/console/audit'],
      ['getConsoleWebhooks', '/console/webhooks'],
      ['getConsoleDeliveries', '/console/deliveries'],
    ] as const) {
      await send(operationId, path, 200, signedInCookie);
    }
    await send(
      'getConsoleNewProvider',
      '/console/providers/new?template=github',
      200,
      signedInCookie,
    );
    await send('consoleCreateProvider', '/console/providers/new', 303, {
      ...signedInCookie,
      form: { csrf, template: 'github', key: 'gh2', client_id: 'client', client_secret: 's' },
    });
    await send('getConsoleProvider', '/console/providers/gh', 200, signedInCookie);
    await send('consoleUpdateProvider', '/console/providers/gh', 303, {
      ...signedInCookie,
      form: { csrf, display_name: 'GitHub', client_id: 'client' },
    });
    const consoleService = `/console/services/${String(app.id)}`;
    await send('getConsoleNewService', '/console/services/new', 200, signedInCookie);
    const serviceForm: [string, string][] = [
      ['csrf', csrf],
      ['name', 'App'],
      ['connection_access', 'own'],
      ['allowed_providers', 'idp'],
      ['allowed_providers', 'hub'],
      ['allowed_providers', 'hub2'],
      ['allowed_return_to', APP_ORIGIN],
    ];
    await send('consoleCreateService', '/console/services/new', 201, {
      ...signedInCookie,
      form: serviceForm.map(([k, v]): [string, string] => [k, k === 'name' ? 'Console app' : v]),
    });
    await send('getConsoleService', consoleService, 200, signedInCookie);
    await send('consoleUpdateService', consoleService, 303, {
      ...signedInCookie,
      form: serviceForm,
    });
    await send('consoleCreateServiceKey', `${consoleService}/keys`, 201, {
      ...signedInCookie,
      form: { csrf },
    });
    const { body: keys } = await send(
      'listServiceKeys',
      `/admin/services/${String(app.id)}/keys`,
      200,
      {
        token: admin,
      },
    );
    const newest = (keys.data as { id: string; created_at: string }[]).sort((x, y) =>
      y.created_at.localeCompare(x.created_at),
    )[0]!;
    await send('consoleRevokeServiceKey', `${consoleService}/keys/${newest.id}/revoke`, 303, {
      ...signedInCookie,
      form: { csrf },
    });
    await send('consoleRotateServiceClientSecret', `${consoleService}/client-secret`, 201, {
      ...signedInCookie,
      form: { csrf },
    });
    await send('consoleCreateConnectLink', `${consoleService}/connect-link`, 201, {
      ...signedInCookie,
      form: { csrf, subject: 'frank', provider: 'idp' },
    });
    await send('getConsoleNewWebhook', '/console/webhooks/new', 200, signedInCookie);
    await send('consoleCreateWebhook', '/console/webhooks/new', 201, {
      ...signedInCookie,
      form: { csrf, url: `${echo.url}/console-hook` },
    });
    const consoleWebhook = `/console/webhooks/${String(endpoint.id)}`;
    await send('consoleDisableWebhook', `${consoleWebhook}/disable`, 303, {
      ...signedInCookie,
      form: { csrf },
    });
    await send('consoleEnableWebhook', `${consoleWebhook}/enable`, 303, {
      ...signedInCookie,
      form: { csrf },
    });
    await send('consoleRotateWebhookSecret', `${consoleWebhook}/rotate-secret`, 201, {
      ...signedInCookie,
      form: { csrf },
    });
    await send('consoleReplayDelivery', `/console/deliveries/${delivery.id}/replay`, 303, {
      ...signedInCookie,
      form: { csrf },
    });
    const { body: spareEndpoint } = await send('createWebhookEndpoint', '/admin/webhooks', 201, {
      token: admin,
      body: { url: `${echo.url}/spare` },
    });
    const spareWebhook = `/console/webhooks/${String(spareEndpoint.id)}/delete`;
    await send('getConsoleDeleteWebhook', spareWebhook, 200, signedInCookie);
    await send('consoleDeleteWebhook', spareWebhook, 303, { ...signedInCookie, form: { csrf } });
    await send('consoleSignOut', '/console/sign-out', 303, { ...signedInCookie, form: { csrf } });
    await send('deleteWebhookEndpoint', endpointPath, 204, { token: admin });

    expect(problems).toEqual([]);
    expect([...operations.keys()].filter((id) => !sampled.has(id))).toEqual([]);
  });
});
