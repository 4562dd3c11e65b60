import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountMetadata, connectionMetadata } from '../../src/providers/connection-metadata.js';
import { findTemplate, registerTemplates } from '../../src/providers/templates/index.js';
import type { ProviderTemplate } from '../../src/providers/templates/types.js';
import { providerRecord } from '../support/factories.js';

const META = { issuer: 'https://example.test' };

/** Account ids kept on connect, which inbound webhooks are matched on. */
describe('connection metadata for webhook attribution', () => {
  let server: Server;
  let base: string;
  const seen: { auth: string | undefined; url: string | undefined }[] = [];
  const warnings: string[] = [];
  const logger = { warn: (_f: object, msg: string) => warnings.push(msg) };
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      if (req.url === '/broken') res.writeHead(500).end();
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"id":583231,"login":"octocat","plan":{"name":"pro"}}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const github = findTemplate('github') as ProviderTemplate;
    registerTemplates([
      {
        ...github,
        template: 'site-github',
        accountEndpoint: {
          url: `${base}/{org}/user`,
          fields: { id: 'user.id', 'plan.name': 'plan' },
        },
      },
      {
        ...github,
        template: 'site-broken',
        accountEndpoint: { url: `${base}/broken`, fields: { id: 'user.id' } },
      },
    ]);
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("reads the template's account endpoint with the new access token", async () => {
    const p = providerRecord('gh', META, { template: 'site-github', config: { org: 'acme' } });
    expect(await accountMetadata(p, 'gho_new', {}, logger)).toStrictEqual({
      'user.id': 583231,
      plan: 'pro',
    });
    expect(seen.at(-1)).toEqual({ auth: 'Bearer gho_new', url: '/acme/user' });
  });

  it('keeps nothing, and does not fail the connect, when the endpoint fails', async () => {
    const p = providerRecord('gh', META, { template: 'site-broken' });
    expect(await accountMetadata(p, 'gho_new', {}, logger)).toStrictEqual({});
    expect(warnings).toContain(
      'account endpoint failed; webhook attribution may miss this connection',
    );
  });

  it('keeps the Shopify shop (a per-connection placeholder) and the GitHub installation_id', () => {
    const shop = providerRecord('shop', META, { template: 'shopify' });
    expect(connectionMetadata(shop, {}, undefined, { shop: 'acme.myshopify.com' })).toStrictEqual({
      shop: 'acme.myshopify.com',
    });
    const gh = providerRecord('gh', META, { template: 'github' });
    expect(
      connectionMetadata(gh, {}, new URLSearchParams('code=x&installation_id=4242')),
    ).toStrictEqual({ installation_id: '4242' });
  });
});
