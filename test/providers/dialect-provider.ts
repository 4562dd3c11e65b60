import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The token endpoint dialects a real provider (oidc-provider) never speaks. */
export type Dialect = 'nested' | 'form' | 'no-expiry' | 'rotating' | 'realm' | 'shop';

export interface TokenRequest {
  path: string;
  form: Record<string, string>;
}

const readForm = async (req: IncomingMessage) => {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return Object.fromEntries(new URLSearchParams(text));
};

const token = () => randomBytes(8).toString('hex');

/**
 * A small provider speaking several non-standard dialects, one per path prefix
 * (`/nested/authorize`, `/shop/<shop>/token`…): Slack's nested user token, a
 * form-encoded token response, tokens without `expires_in`, single-use rotating refresh
 * tokens, QuickBooks' `realmId` on the callback, per-connection hosts (as a path segment,
 * since tests cannot serve real host names).
 */
export async function startDialectProvider() {
  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requests: TokenRequest[] = [];
  const codes = new Set<string>();
  const liveRefreshTokens = new Set<string>();

  function tokens(dialect: Dialect, grant: string): { type: string; body: string } {
    const json = (body: object) => ({ type: 'application/json', body: JSON.stringify(body) });
    switch (dialect) {
      case 'nested':
        return json({
          ok: true,
          access_token: `xoxb-${token()}`,
          token_type: 'bot',
          scope: 'chat:write',
          team: { id: 'T123', name: 'Acme' },
          authed_user: {
            id: 'U456',
            scope: 'users:read',
            access_token: `xoxp-${token()}`,
            token_type: 'user',
          },
        });
      case 'form':
        return {
          type: 'application/x-www-form-urlencoded',
          body: new URLSearchParams({
            access_token: `form-${token()}`,
            token_type: 'bearer',
            expires_in: '3600',
            refresh_token: `rt-${token()}`,
            scope: 'repo',
          }).toString(),
        };
      case 'no-expiry':
        return json({ access_token: `forever-${token()}`, token_type: 'bearer' });
      default: {
        const refresh = `rt-${grant}-${token()}`;
        if (dialect === 'rotating') liveRefreshTokens.add(refresh);
        return json({
          access_token: `at-${token()}`,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: refresh,
          instance_url: 'https://acme.my.example.com',
        });
      }
    }
  }

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const parts = url.pathname.split('/').filter(Boolean);
      const dialect = parts[0] as Dialect;
      const endpoint = parts[parts.length - 1];
      if (endpoint === 'authorize') {
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        const code = token();
        codes.add(code);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        if (dialect === 'realm') back.searchParams.set('realmId', '4620816365');
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      if (endpoint === 'token' && req.method === 'POST') {
        const form = await readForm(req);
        requests.push({ path: url.pathname, form });
        const grant = form.grant_type ?? '';
        const ok =
          grant === 'authorization_code'
            ? codes.delete(form.code ?? '')
            : dialect !== 'rotating' || liveRefreshTokens.delete(form.refresh_token ?? '');
        if (!ok) {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end('{"error":"invalid_grant"}');
          return;
        }
        const answer = tokens(dialect, grant === 'refresh_token' ? 'r' : 'c');
        res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
        return;
      }
      res.writeHead(404).end();
    })();
  });

  return {
    origin,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Site templates (PROVIDER_TEMPLATES_FILE) pointing each dialect at the fake. */
export const dialectTemplates = (origin: string) => {
  const base = (name: string, extra: object = {}) => ({
    template: `fake-${name}`,
    displayName: `Fake ${name}`,
    docsUrl: 'https://example.com/docs',
    authorizationEndpoint: `${origin}/${name}/authorize`,
    tokenEndpoint: `${origin}/${name}/token`,
    scopes: ['read'],
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    authorizationParams: {},
    tokenParams: {},
    placeholders: [],
    tokensExpire: true,
    rotatesRefreshTokens: false,
    ...extra,
  });
  return [
    base('nested', {
      scopes: ['users:read'],
      scopeSeparator: ',',
      scopeParameter: 'user_scope',
      tokenPath: 'authed_user',
      tokenResponseFields: ['team.id', 'authed_user.id'],
      tokensExpire: false,
    }),
    base('form'),
    base('no-expiry', { tokensExpire: false }),
    base('rotating', { rotatesRefreshTokens: true, tokenResponseFields: ['instance_url'] }),
    base('realm', { callbackParams: ['realmId'] }),
    base('shop', {
      authorizationEndpoint: `${origin}/shop/{shop}/authorize`,
      tokenEndpoint: `${origin}/shop/{shop}/token`,
      placeholders: [
        {
          name: 'shop',
          level: 'connection',
          description: 'the shop domain',
          pattern: '^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$',
        },
      ],
    }),
  ];
};
