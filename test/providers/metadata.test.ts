import { assertEndpointUrl } from '../../src/providers/egress.js';
import {
  forConnection,
  placeholderValues,
  templateMetadata,
} from '../../src/providers/metadata.js';
import type { ProviderRecord } from '../../src/providers/types.js';
import { TEMPLATES } from '../../src/providers/templates/index.js';
import { HOST_LABEL, type ProviderTemplate } from '../../src/providers/templates/types.js';

/** A template with a per-connection placeholder (the shape of a Shopify-like provider). */
const shop: ProviderTemplate = {
  template: 'shop',
  displayName: 'Shop',
  docsUrl: 'https://example.com',
  authorizationEndpoint: 'https://{shop}.shop.example/oauth/authorize',
  tokenEndpoint: 'https://{shop}.shop.example/oauth/token',
  scopes: [],
  scopeSeparator: ',',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    { name: 'shop', level: 'connection', description: 'shop name', pattern: HOST_LABEL },
  ],
  tokensExpire: false,
  rotatesRefreshTokens: false,
};

describe('provider metadata and placeholders', () => {
  it('every built-in template without required values yields https endpoints with its defaults', () => {
    const complete = [...TEMPLATES.values()].filter((t) =>
      t.placeholders.every((p) => p.level === 'provider' && p.default !== undefined),
    );
    expect(complete.length).toBeGreaterThan(20);
    for (const t of complete) {
      const m = templateMetadata(t, placeholderValues(t.placeholders, 'provider', {}, 'config'));
      for (const url of [m.authorization_endpoint!, m.token_endpoint!]) {
        // Public https: allowed in production too.
        expect(() => assertEndpointUrl(t.template, url, false)).not.toThrow();
        expect(url).not.toMatch(/[{}]/);
      }
    }
  });

  it('leaves connection-level placeholders for the connection, then fills them', () => {
    const metadata = templateMetadata(shop, {});
    expect(metadata.token_endpoint).toBe('https://{shop}.shop.example/oauth/token');
    const values = placeholderValues(shop.placeholders, 'connection', { shop: 'acme' }, 'cc');
    const record = { key: 'shop', template: 'shop', metadata } as unknown as ProviderRecord;
    expect(forConnection(record, values).metadata).toMatchObject({
      authorization_endpoint: 'https://acme.shop.example/oauth/authorize',
      token_endpoint: 'https://acme.shop.example/oauth/token',
    });
    expect(forConnection(record, {})).toBe(record);
    expect(() => placeholderValues(shop.placeholders, 'connection', {}, 'cc')).toThrow(
      'cc.shop: required',
    );
    expect(() => placeholderValues(shop.placeholders, 'connection', { shop: 'a/b' }, 'cc')).toThrow(
      'cc.shop: invalid value',
    );
  });

  it.each([
    ['https://idp.example.com/auth', true],
    ['http://127.0.0.1:8080/auth', true],
    ['http://localhost/auth', true],
    ['http://idp.example.com/auth', false],
    ['https://user:pw@idp.example.com/auth', false],
    ['ftp://idp.example.com', false],
    ['not a url', false],
  ])('endpoint %s allowed outside production: %s', (url, ok) => {
    if (ok) expect(() => assertEndpointUrl('x', url, true)).not.toThrow();
    else expect(() => assertEndpointUrl('x', url, true)).toThrow();
  });

  // Regression (issue 19, item 8): production took any https host, private ones included.
  it.each([
    ['https://idp.example.com/auth', true],
    ['https://93.184.215.14/token', true],
    ['http://127.0.0.1:8080/auth', false],
    ['http://idp.example.com/auth', false],
    ['https://127.0.0.1/token', false],
    ['https://10.0.0.5/token', false],
    ['https://169.254.169.254/latest/meta-data', false],
    ['https://[::1]/token', false],
    ['https://[::ffff:7f00:1]/token', false],
    ['https://localhost/token', false],
    ['https://idp.localhost/token', false],
  ])('endpoint %s allowed in production: %s', (url, ok) => {
    if (ok) expect(() => assertEndpointUrl('x', url, false)).not.toThrow();
    else expect(() => assertEndpointUrl('x', url, false)).toThrow();
  });
});
