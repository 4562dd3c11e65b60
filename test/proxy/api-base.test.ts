import { readFile } from 'node:fs/promises';
import { apiBaseFor, resolveApiBase } from '../../src/providers/metadata.js';
import { BUILT_IN_TEMPLATES, findTemplate } from '../../src/providers/templates/index.js';
import { proxyTarget } from '../../src/proxy/target.js';
import { providerRecord } from '../support/factories.js';

const template = (name: string) => {
  const t = findTemplate(name);
  if (!t) throw new Error(`no template ${name}`);
  return t;
};
const fromTemplate = (name: string, config: Record<string, string> = {}) =>
  providerRecord(
    name,
    { issuer: 'https://x.example' },
    {
      template: name,
      apiBaseUrl: resolveApiBase(undefined, template(name), config, false),
    },
  );

describe('api_base_url', () => {
  it('every built-in template has one, with its quota rule', () => {
    for (const name of [
      'github',
      'slack',
      'shopify',
      'salesforce',
      'atlassian',
      'zendesk',
      'notion',
    ]) {
      const t = template(name);
      expect([
        name,
        typeof t.api?.baseUrl,
        ['connection', 'app'].includes(t.api?.quota ?? ''),
      ]).toEqual([name, 'string', true]);
    }
    expect(resolveApiBase(undefined, template('github'), {}, false)).toBe('https://api.github.com');
    expect(
      resolveApiBase(
        undefined,
        template('keycloak'),
        { host: 'sso.acme.com', realm: 'staff' },
        false,
      ),
    ).toBe('https://sso.acme.com/realms/staff');
  });

  it('docs/PROVIDERS.md lists every template’s base URL and quota', async () => {
    const doc = await readFile(new URL('../../docs/PROVIDERS.md', import.meta.url), 'utf8');
    for (const t of BUILT_IN_TEMPLATES) {
      const quota = t.api?.quota === 'app' ? 'per app' : 'per connection';
      expect(doc).toMatch(
        new RegExp(
          `\\| \`${t.template}\` +\\| \`${t.api!.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` +\\| ${quota} `,
        ),
      );
    }
  });

  it('fills a Shopify shop from the connection and refuses one that would change the host', () => {
    const shopify = fromTemplate('shopify');
    expect(apiBaseFor(shopify, { shop: 'acme.myshopify.com' }, false).href).toBe(
      'https://acme.myshopify.com/admin/api',
    );
    for (const shop of [
      'evil.example',
      'acme.myshopify.com@evil.example',
      'acme.myshopify.com/x',
      undefined,
    ]) {
      expect(() => apiBaseFor(shopify, shop === undefined ? {} : { shop }, false)).toThrow(/shop/);
    }
  });

  it("fills Salesforce's instance_url from the connection metadata, only a Salesforce origin", () => {
    const sf = fromTemplate('salesforce');
    expect(apiBaseFor(sf, { instance_url: 'https://acme.my.salesforce.com' }, false).href).toBe(
      'https://acme.my.salesforce.com/services/data',
    );
    for (const instance_url of [
      'https://evil.example',
      'http://acme.my.salesforce.com',
      'https://a.salesforce.com.evil.example',
    ]) {
      expect(() => apiBaseFor(sf, { instance_url }, false)).toThrow(/instance_url/);
    }
  });

  it('a hand-set base must be https (loopback http only where private URLs are allowed), without a query', () => {
    expect(resolveApiBase('https://api.acme.com/v1/', undefined, {}, false)).toBe(
      'https://api.acme.com/v1',
    );
    expect(resolveApiBase('http://127.0.0.1:9/x', undefined, {}, true)).toBe(
      'http://127.0.0.1:9/x',
    );
    for (const [base, allowPrivate] of [
      ['http://api.acme.com', true],
      ['http://127.0.0.1:9', false],
      ['https://10.0.0.1', false],
      ['https://api.acme.com/?key=1', false],
      ['https://user:pw@api.acme.com', false],
      ['not a url', true],
    ] as const) {
      expect(() => resolveApiBase(base, undefined, {}, allowPrivate)).toThrow(/api_base_url/);
    }
    expect(resolveApiBase(null, template('github'), {}, false)).toBeNull();
  });

  it('keeps every proxied path under the base, with the query as sent', () => {
    const base = new URL('https://api.acme.com/v1');
    expect(proxyTarget(base, '/users/me', 'a=1&b=%20')).toEqual({
      origin: 'https://api.acme.com',
      path: '/v1/users/me?a=1&b=%20',
    });
    expect(proxyTarget(base, '', undefined).path).toBe('/v1');
    expect(proxyTarget(new URL('https://api.acme.com'), '', 'x=1').path).toBe('/?x=1');
    for (const path of ['/../v2', '/a/..', '/%2E%2E', '/a%2Fb', '//x', '/a\\b', 'x', '/https:/x']) {
      expect(() => proxyTarget(base, path, undefined)).toThrow(/proxy path/);
    }
  });
});
