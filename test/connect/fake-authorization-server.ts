import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';

/** What the token endpoint answers to an authorization_code grant. */
export type TokenBehavior =
  | 'github'
  | 'oidc'
  | 'wrong_nonce'
  | 'wrong_aud'
  | 'bad_signature'
  | 'down'
  | 'garbage'
  | 'github_bad_code'
  | 'slack'
  | 'slack_bad_code';

interface PendingCode {
  challenge: string;
  redirectUri: string;
  nonce: string | undefined;
  used: boolean;
}

const readBody = async (req: IncomingMessage) => {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return new URLSearchParams(text);
};

/**
 * A whole small authorization server (authorize, token, discovery, JWKS) for faults
 * oidc-provider cannot produce on demand — unlike test/support/fake-provider.ts, which
 * scripts a token endpoint alone: GitHub's dialect
 * (JSON tokens without `expires_in`, errors with 200), ID tokens with a wrong nonce,
 * audience or signature, a token endpoint that fails or answers garbage. It checks PKCE
 * and client authentication (client_secret_post, or private_key_jwt against `clientJwk`).
 */
export async function startFakeAuthorizationServer(options: {
  clientId: string;
  clientSecret?: string;
  clientJwk?: JWK;
}) {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: 'fake-1', alg: 'RS256' };
  const codes = new Map<string, PendingCode>();
  const tokenRequests: URLSearchParams[] = [];
  const revocations: URLSearchParams[] = [];
  let behavior: TokenBehavior = 'github';
  let deny = false;
  let par = false;
  let issSupported = false;
  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokenEndpoint = `${issuer}/login/oauth/access_token`;

  async function clientAuthenticated(form: URLSearchParams): Promise<boolean> {
    if (options.clientJwk) {
      const key = await importJWK(options.clientJwk, 'ES256');
      try {
        await jwtVerify(form.get('client_assertion') ?? '', key, {
          issuer: options.clientId,
          subject: options.clientId,
          audience: [issuer, tokenEndpoint],
        });
        return true;
      } catch {
        return false;
      }
    }
    return (
      form.get('client_id') === options.clientId &&
      form.get('client_secret') === options.clientSecret
    );
  }

  async function idToken(nonce: string | undefined, mode: TokenBehavior) {
    const claims = nonce ? { nonce: mode === 'wrong_nonce' ? 'not-the-nonce' : nonce } : {};
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-1' })
      .setIssuer(issuer)
      .setSubject('fake-user')
      .setAudience(mode === 'wrong_aud' ? 'someone-else' : options.clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(mode === 'bad_signature' ? other.privateKey : signing.privateKey);
  }

  const json = (status: number, body: object) => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });

  async function token(form: URLSearchParams) {
    if (behavior === 'down') return json(503, { error: 'temporarily_unavailable' });
    if (behavior === 'garbage')
      return { status: 200, type: 'text/html', body: '<html>oops</html>' };
    if (!(await clientAuthenticated(form))) return json(401, { error: 'invalid_client' });
    if (form.get('grant_type') === 'refresh_token') {
      return json(200, {
        access_token: `at-${randomBytes(8).toString('hex')}`,
        token_type: 'bearer',
      });
    }
    const pending = codes.get(form.get('code') ?? '');
    const challenge = createHash('sha256')
      .update(form.get('code_verifier') ?? '')
      .digest('base64url');
    const valid =
      pending &&
      !pending.used &&
      pending.challenge === challenge &&
      pending.redirectUri === form.get('redirect_uri') &&
      behavior !== 'github_bad_code' &&
      behavior !== 'slack_bad_code';
    if (!valid && behavior === 'slack_bad_code')
      return json(200, { ok: false, error: 'invalid_code' });
    if (!valid) {
      // GitHub's dialect: an error with status 200.
      return json(200, { error: 'bad_verification_code', error_description: 'The code is wrong.' });
    }
    pending.used = true;
    const accessToken = `gho_${randomBytes(16).toString('hex')}`;
    if (behavior === 'slack') {
      return json(200, {
        ok: true,
        access_token: `xoxb-${accessToken}`,
        token_type: 'bot',
        scope: 'chat:write',
      });
    }
    if (behavior === 'github') {
      return json(200, {
        access_token: accessToken,
        token_type: 'bearer',
        scope: 'repo,read:user',
      });
    }
    return json(200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: `rt-${randomBytes(8).toString('hex')}`,
      id_token: await idToken(pending.nonce, behavior),
    });
  }

  function authorize(url: URL): string {
    const back = new URL(url.searchParams.get('redirect_uri') ?? '');
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    if (deny) {
      back.searchParams.set('error', 'access_denied');
      return back.href;
    }
    const code = randomBytes(12).toString('hex');
    codes.set(code, {
      challenge: url.searchParams.get('code_challenge') ?? '',
      redirectUri: url.searchParams.get('redirect_uri') ?? '',
      nonce: url.searchParams.get('nonce') ?? undefined,
      used: false,
    });
    back.searchParams.set('code', code);
    return back.href;
  }

  const metadata = () => ({
    issuer,
    authorization_endpoint: `${issuer}/login/oauth/authorize`,
    token_endpoint: tokenEndpoint,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...(par ? { pushed_authorization_request_endpoint: `${issuer}/par` } : {}),
    ...(issSupported ? { authorization_response_iss_parameter_supported: true } : {}),
  });

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const send = (status: number, type: string, body: string) =>
        res.writeHead(status, { 'content-type': type }).end(body);
      if (url.pathname === '/.well-known/openid-configuration') {
        send(200, 'application/json', JSON.stringify(metadata()));
      } else if (url.pathname === '/par') {
        send(503, 'application/json', JSON.stringify({ error: 'temporarily_unavailable' }));
      } else if (url.pathname === '/jwks') {
        send(200, 'application/json', JSON.stringify({ keys: [publicJwk] }));
      } else if (url.pathname === '/revoke' && req.method === 'POST') {
        revocations.push(await readBody(req));
        send(200, 'application/json', '{}');
      } else if (url.pathname === '/login/oauth/authorize') {
        res.writeHead(302, { location: authorize(url) }).end();
      } else if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
        const form = await readBody(req);
        tokenRequests.push(form);
        const answer = await token(form);
        send(answer.status, answer.type, answer.body);
      } else {
        send(404, 'text/plain', 'not found');
      }
    })();
  });

  return {
    issuer,
    authorizationEndpoint: `${issuer}/login/oauth/authorize`,
    tokenEndpoint,
    /** RFC 7009: answers 200 to everything and records what it was asked to revoke. */
    revocationEndpoint: `${issuer}/revoke`,
    tokenRequests,
    revocations,
    /** What the token endpoint does next. */
    setBehavior(b: TokenBehavior) {
      behavior = b;
    },
    /** Whether the metadata advertises a PAR endpoint (which always fails with 503). */
    setPar(p: boolean) {
      par = p;
    },
    /** Whether the metadata promises `iss` in authorization responses (RFC 9207; never sent). */
    setIssSupported(v: boolean) {
      issSupported = v;
    },
    /** Whether the authorization endpoint answers `error=access_denied`. */
    setDeny(d: boolean) {
      deny = d;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export type FakeAuthorizationServer = Awaited<ReturnType<typeof startFakeAuthorizationServer>>;
