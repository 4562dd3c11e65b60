import { createProviderOAuth } from '../../src/providers/oauth-client.js';
import { type ProviderRecord } from '../../src/providers/types.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
} from '../../src/providers/upstream-errors.js';
import { providerRecord } from '../support/factories.js';
import { startFakeProvider, status } from '../support/fake-provider.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('provider OAuth client against oidc-provider', () => {
  let upstream: Upstream;
  let provider: ProviderRecord;
  const oauth = createProviderOAuth({ timeoutSeconds: 5, allowPrivateUrls: true });

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: ['http://127.0.0.1/cb'],
        },
      ],
    });
    const metadata = (await (
      await fetch(`${upstream.issuer}/.well-known/openid-configuration`)
    ).json()) as ProviderRecord['metadata'];
    provider = providerRecord('idp', metadata, { issuer: upstream.issuer });
  });
  afterAll(() => upstream.close());

  it('refreshes with rotation; reusing the rotated-out refresh token is invalid_grant', async () => {
    const issued = await upstream.issueTokens('broker', 'alice');
    const first = await oauth.refresh(provider, issued.refresh_token);
    expect(first.accessToken).not.toBe(issued.access_token);
    expect(first.refreshToken).toBeDefined();
    expect(first.refreshToken).not.toBe(issued.refresh_token);
    expect(first.expiresIn).toBeGreaterThan(0);
    await expect(oauth.refresh(provider, issued.refresh_token)).rejects.toBeInstanceOf(
      PermanentUpstreamError,
    );
    expect(upstream.refreshGrants()).toBe(1);
  });

  it('revokes (RFC 7009): introspection reports the token inactive', async () => {
    const issued = await upstream.issueTokens('broker', 'bob');
    expect((await upstream.introspect('broker', 'broker-secret', issued.access_token)).active).toBe(
      true,
    );
    expect(await oauth.revoke(provider, issued.access_token, 'access_token')).toBe(true);
    expect((await upstream.introspect('broker', 'broker-secret', issued.access_token)).active).toBe(
      false,
    );
  });
});

describe('upstream error classes', () => {
  const oauth = createProviderOAuth({ timeoutSeconds: 5, allowPrivateUrls: true });

  it.each([
    ['a code the provider made up', 'quota_exceeded{reason="x"}', 'oauth_other'],
    ['a code from the RFCs', 'temporarily_unavailable', 'oauth_temporarily_unavailable'],
  ])(
    'metric label oauth_${error} built from provider text: %s becomes a fixed class',
    async (_what, code, expected) => {
      const fake = await startFakeProvider([status(400, {}, { error: code })]);
      try {
        const provider = providerRecord('fixed-labels', fake.metadata, { issuer: fake.url });
        const failure = await oauth.refresh(provider, 'rt').catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(TransientUpstreamError);
        expect((failure as TransientUpstreamError).errorClass).toBe(expected);
      } finally {
        await fake.close();
      }
    },
  );
});

describe('provider calls resolve and connect like webhooks do (issue 19, item 8)', () => {
  it('a provider host resolving to a loopback address is refused at connect time unless private URLs are allowed', async () => {
    const fake = await startFakeProvider([status(400, {}, { error: 'invalid_grant' })]);
    try {
      // `localhost` resolves to 127.0.0.1: the check happens where the address is used.
      const port = new URL(fake.url).port;
      const metadata = { ...fake.metadata, token_endpoint: `http://localhost:${port}/token` };
      const provider = providerRecord('pinned', metadata, { issuer: fake.url });
      const pinned = createProviderOAuth({ timeoutSeconds: 5, allowPrivateUrls: false });
      const failure = await pinned.refresh(provider, 'rt').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TransientUpstreamError);
      expect((failure as TransientUpstreamError).errorClass).toBe('destination_refused');
      expect(fake.requests).toHaveLength(0);

      const open = createProviderOAuth({ timeoutSeconds: 5, allowPrivateUrls: true });
      await expect(open.refresh(provider, 'rt')).rejects.toBeInstanceOf(PermanentUpstreamError);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
