import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTemplatesFile } from '../../src/providers/templates/file.js';
import { placeholderValues, templateMetadata } from '../../src/providers/metadata.js';
import {
  templateSchema,
  usedPlaceholders,
  validateCatalog,
} from '../../src/providers/templates/catalog-schema.js';
import { BUILT_IN_TEMPLATES, findTemplate } from '../../src/providers/templates/index.js';
import type { ProviderTemplate } from '../../src/providers/templates/types.js';

const REQUIRED = [
  'google',
  'microsoft',
  'github',
  'github-enterprise',
  'gitlab',
  'bitbucket',
  'slack',
  'slack-user',
  'atlassian',
  'salesforce',
  'hubspot',
  'notion',
  'dropbox',
  'box',
  'zoom',
  'linkedin',
  'x',
  'discord',
  'spotify',
  'quickbooks',
  'xero',
  'asana',
  'linear',
  'figma',
  'okta',
  'auth0',
  'keycloak',
  'zendesk',
  'shopify',
];

const shopify = findTemplate('shopify')!;

describe('the provider catalog', () => {
  it('has at least 25 templates, among them every one the docs promise', () => {
    expect(BUILT_IN_TEMPLATES.length).toBeGreaterThanOrEqual(25);
    expect(BUILT_IN_TEMPLATES.map((t) => t.template)).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each(BUILT_IN_TEMPLATES.map((t) => [t.template, t] as const))(
    '%s validates, declares every placeholder with an anchored pattern and links its docs',
    (_name, t) => {
      expect(templateSchema.safeParse(t).error).toBeUndefined();
      const declared = t.placeholders.map((p) => p.name);
      for (const name of usedPlaceholders(t)) expect(declared).toContain(name);
      for (const p of t.placeholders) expect(p.pattern.source).toMatch(/^\^.*\$$/);
      expect(t.docsUrl).toMatch(/^https:\/\//);
      // With the admin's provider-level values filled in, only connection-level ones remain.
      const config = Object.fromEntries(
        t.placeholders
          .filter((p) => p.level === 'provider')
          .map((p) => [p.name, p.default ?? 'acme.example.com']),
      );
      const values = placeholderValues(
        t.placeholders,
        'provider',
        t.placeholders.some((p) => p.name === 'realm') ? { ...config, realm: 'main' } : config,
        'config',
      );
      const m = templateMetadata(t, values);
      const left = [m.authorization_endpoint, m.token_endpoint].join(' ').match(/\{(\w+)\}/g) ?? [];
      const connectionLevel = t.placeholders
        .filter((p) => p.level === 'connection')
        .map((p) => `{${p.name}}`);
      for (const name of left) expect(connectionLevel).toContain(name);
    },
  );

  it('docs/PROVIDERS.md lists every template', async () => {
    const doc = await readFile(new URL('../../docs/PROVIDERS.md', import.meta.url), 'utf8');
    for (const t of BUILT_IN_TEMPLATES)
      expect(doc).toContain(`| [\`${t.template}\`](${t.docsUrl})`);
  });

  it('documents the quirks the issue names', () => {
    expect(findTemplate('google')!.authorizationParams).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
    });
    expect(findTemplate('dropbox')!.authorizationParams).toMatchObject({
      token_access_type: 'offline',
    });
    expect(findTemplate('atlassian')!).toMatchObject({
      rotatesRefreshTokens: true,
      authorizationParams: { audience: 'api.atlassian.com' },
    });
    expect(findTemplate('salesforce')!.tokenResponseFields).toContain('instance_url');
    expect(findTemplate('quickbooks')!.callbackParams).toEqual(['realmId']);
    expect(findTemplate('slack-user')!).toMatchObject({
      tokenPath: 'authed_user',
      scopeParameter: 'user_scope',
    });
    expect(findTemplate('notion')!).toMatchObject({
      clientAuthMethod: 'client_secret_basic',
      tokensExpire: false,
    });
  });

  it.each([
    ['acme.myshopify.com', true],
    ['evil.com', false],
    ['acme.myshopify.com.evil.com', false],
    ['evil.com/acme.myshopify.com', false],
    ['evil.com#.myshopify.com', false],
    ['user@acme.myshopify.com', false],
    ['acme.myshopify.com:8443', false],
  ])('the shop %s is accepted: %s', (shop, ok) => {
    const check = () =>
      placeholderValues(shopify.placeholders, 'connection', { shop }, 'connection_config');
    if (ok) expect(check()).toEqual({ shop });
    else expect(check).toThrow('connection_config.shop: invalid value');
  });

  it.each([
    ['acme', true],
    ['acme.evil.com/x', false],
    ['a'.repeat(64), false],
    ['-acme', false],
  ])('the Zendesk subdomain %s is accepted: %s', (subdomain, ok) => {
    const zendesk = findTemplate('zendesk')!;
    const check = () => placeholderValues(zendesk.placeholders, 'connection', { subdomain }, 'cc');
    if (ok) expect(check()).toEqual({ subdomain });
    else expect(check).toThrow('invalid value');
  });

  it.each([
    ['github.acme.com', true],
    ['10.0.0.1', false],
    ['github.acme.com:8443', false],
    ['github.acme.com/evil', false],
    ['localhost', false],
  ])('the GitHub Enterprise host %s is accepted: %s', (host, ok) => {
    const ghe = findTemplate('github-enterprise')!;
    const check = () => placeholderValues(ghe.placeholders, 'provider', { host }, 'config');
    if (ok) expect(check()).toEqual({ host });
    else expect(check).toThrow('invalid value');
  });

  it('PROVIDER_TEMPLATES_FILE: a bad file or a clash with a built-in template stops the start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'templates-'));
    const write = async (name: string, body: unknown) => {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(body));
      return path;
    };
    const hubspot = { ...findTemplate('hubspot')!, placeholders: [] };
    await expect(loadTemplatesFile(await write('a.json', { not: 'an array' }))).rejects.toThrow(
      'must be a JSON array',
    );
    await expect(loadTemplatesFile(await write('b.json', [hubspot]))).rejects.toThrow(
      'template hubspot is built in',
    );
    const loose = {
      ...hubspot,
      template: 'acme',
      tokenEndpoint: 'https://{host}/token',
      placeholders: [{ name: 'host', level: 'provider', description: 'h', pattern: '.*' }],
    };
    await expect(loadTemplatesFile(await write('c.json', [loose]))).rejects.toThrow(
      /c\.json: template acme: .*must be anchored/,
    );
    expect(findTemplate('acme')).toBeUndefined();
    await loadTemplatesFile(await write('d.json', [{ ...hubspot, template: 'acme' }]));
    expect(findTemplate('acme')).toMatchObject({
      template: 'acme',
      tokenEndpoint: hubspot.tokenEndpoint,
    });
  });

  it('refuses an entry with an undeclared placeholder, a loose pattern or a secret field', () => {
    const base = findTemplate('hubspot')!;
    const broken: [Partial<ProviderTemplate>, string][] = [
      [{ tokenEndpoint: 'https://{host}/token' }, '{host} is not declared'],
      [
        {
          authorizationEndpoint: 'https://{host}/a',
          placeholders: [{ name: 'host', level: 'provider', description: 'h', pattern: /.*/ }],
        },
        'must be anchored',
      ],
      [{ tokenResponseFields: ['refresh_token'] }, 'must not name a secret'],
      [{ authorizationParams: { redirect_uri: 'https://evil' } }, 'broker controls'],
      [{ tokenEndpoint: 'http://api.example.com/token' }, 'must be https'],
      [{ docsUrl: '' }, 'docsUrl'],
    ];
    for (const [change, message] of broken) {
      expect(() => validateCatalog([{ ...base, ...change }])).toThrow(message);
    }
    expect(() => validateCatalog([base, base])).toThrow('appears twice');
  });
});
