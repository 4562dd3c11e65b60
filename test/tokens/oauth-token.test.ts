import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from './support.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const basic = (id: string, secret: string) => ({
  Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
});

describe('POST /oauth/token and broker JWTs', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let issuer: string;
  let providerKey: string;
  let service: CreatedService;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 600 });
    broker = await startTestBroker();
    issuer = broker.container.config.publicUrl;
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    service = await createService(broker, [providerKey]);
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  const tokenRequest = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    request(broker.url).post('/oauth/token').set(headers).type('form').send(form);

  const clientCredentials = async (s: CreatedService = service) =>
    (
      await tokenRequest(
        { grant_type: 'client_credentials' },
        basic(s.client_id, s.client_secret),
      ).expect(200)
    ).body.access_token as string;

  it('publishes RFC 8414 metadata and the JWKS', async () => {
    const meta = await request(broker.url)
      .get('/.well-known/oauth-authorization-server')
      .expect(200);
    expect(meta.body).toStrictEqual({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials', EXCHANGE],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['RS256', 'ES256']),
      response_types_supported: [],
    });
    const jwks = await request(broker.url).get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.body.keys[0].d).toBeUndefined();
  });

  describe('client authentication', () => {
    it('is 401 invalid_client without client credentials', async () => {
      const res = await tokenRequest({ grant_type: 'client_credentials' }).expect(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('is 401 with WWW-Authenticate: Basic for a wrong secret over Basic', async () => {
      const res = await tokenRequest(
        { grant_type: 'client_credentials' },
        basic(service.client_id, 'tbs_wrong'),
      ).expect(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    });

    it('is 401 for a wrong secret in the body', async () => {
      const res = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: service.client_id,
        client_secret: 'tbs_wrong',
      }).expect(401);
      expect(res.body.error).toBe('invalid_client');
    });

    it('issues a broker JWT with client_secret_basic', async () => {
      const res = await tokenRequest(
        { grant_type: 'client_credentials' },
        basic(service.client_id, service.client_secret),
      ).expect(200);
      expect(res.body).toStrictEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
      });
      expect(res.body.expires_in).toBeLessThanOrEqual(900);
      expect(res.headers['cache-control']).toBe('no-store');
      const jwks = (await request(broker.url).get('/.well-known/jwks.json')).body;
      const { payload, protectedHeader } = await jwtVerify(
        res.body.access_token,
        createLocalJWKSet(jwks),
        { issuer, audience: issuer, algorithms: ['ES256'] },
      );
      expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
      expect(payload).toMatchObject({ sub: service.id, jti: expect.any(String) });
      expect(payload.exp! - payload.iat!).toBe(res.body.expires_in);
      expect(payload.nbf).toBe(payload.iat);
      await request(broker.url)
        .get('/v1/connections')
        .set(bearer(res.body.access_token))
        .expect(200);
    });

    it('issues a broker JWT with client_secret_post', async () => {
      const res = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: service.client_id,
        client_secret: service.client_secret,
      }).expect(200);
      expect(res.body.token_type).toBe('Bearer');
    });

    it('refuses two methods at once, a JSON body, a missing or unsupported grant_type', async () => {
      const both = await tokenRequest(
        { grant_type: 'client_credentials', client_id: service.client_id, client_secret: 'x' },
        basic(service.client_id, service.client_secret),
      ).expect(400);
      expect(both.body.error).toBe('invalid_request');
      const json = await request(broker.url)
        .post('/oauth/token')
        .send({ grant_type: 'client_credentials' })
        .expect(400);
      expect(json.body.error).toBe('invalid_request');
      expect((await tokenRequest({}).expect(400)).body.error).toBe('invalid_request');
      const unsupported = await tokenRequest(
        { grant_type: 'password' },
        basic(service.client_id, service.client_secret),
      ).expect(400);
      expect(unsupported.body.error).toBe('unsupported_grant_type');
    });

    describe('private_key_jwt (RFC 7523)', () => {
      let key: CryptoKey;
      let jwkService: CreatedService;
      const kid = 'client-key-1';

      beforeAll(async () => {
        const pair = await generateKeyPair('ES256');
        key = pair.privateKey;
        const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' };
        jwkService = await createService(broker, [providerKey], { jwks: { keys: [publicJwk] } });
      });

      const assertion = (
        claims: { aud?: string; exp?: number; iss?: string; jti?: string } = {},
        signWith: CryptoKey = key,
      ) => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ jti: claims.jti ?? randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid })
          .setIssuer(claims.iss ?? jwkService.client_id)
          .setSubject(jwkService.client_id)
          .setAudience(claims.aud ?? `${issuer}/oauth/token`)
          .setIssuedAt(now)
          .setExpirationTime(claims.exp ?? now + 60)
          .sign(signWith);
      };
      const withAssertion = (jwt: string) =>
        tokenRequest({
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: jwt,
        });

      it('issues a broker JWT for an assertion signed by a registered key', async () => {
        const res = await withAssertion(await assertion()).expect(200);
        expect(res.body.token_type).toBe('Bearer');
        const viaIssuer = await withAssertion(await assertion({ aud: issuer })).expect(200);
        expect(viaIssuer.body.access_token).not.toBe(res.body.access_token);
      });

      it('refuses a replayed jti', async () => {
        const jwt = await assertion();
        await withAssertion(jwt).expect(200);
        expect((await withAssertion(jwt).expect(401)).body.error).toBe('invalid_client');
      });

      it('refuses a wrong audience, a long-lived or expired assertion, an unknown key', async () => {
        const now = Math.floor(Date.now() / 1000);
        const other = (await generateKeyPair('ES256')).privateKey;
        for (const jwt of [
          await assertion({ aud: 'https://elsewhere.example.com/token' }),
          await assertion({ exp: now + 3600 }),
          await assertion({ exp: now - 60 }),
          await assertion({}, other),
          await assertion({ iss: service.client_id }),
          'not-a-jwt',
        ]) {
          expect((await withAssertion(jwt).expect(401)).body.error).toBe('invalid_client');
        }
      });

      it('refuses a wrong client_assertion_type', async () => {
        const res = await tokenRequest({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:example:other',
          client_assertion: await assertion(),
        }).expect(400);
        expect(res.body.error).toBe('invalid_request');
      });
    });
  });

  describe('broker JWT verification on the service API', () => {
    const sign = async (
      claims: { aud?: string; iss?: string; exp?: number; sub?: string },
      signWith?: { kid: string; privateKey: CryptoKey },
    ) => {
      const k = signWith ?? (await broker.container.signingKeys.active());
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: k.kid, typ: 'at+jwt' })
        .setIssuer(claims.iss ?? issuer)
        .setAudience(claims.aud ?? issuer)
        .setSubject(claims.sub ?? service.id)
        .setJti(randomUUID())
        .setIssuedAt(claims.exp !== undefined ? claims.exp - 300 : now)
        .setNotBefore(claims.exp !== undefined ? claims.exp - 300 : now)
        .setExpirationTime(claims.exp ?? now + 300)
        .sign(k.privateKey);
    };
    const expect401 = async (credential: string) => {
      const res = await request(broker.url)
        .get('/v1/connections')
        .set(bearer(credential))
        .expect(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    };

    it('accepts a correctly signed JWT (control)', async () => {
      await request(broker.url)
        .get('/v1/connections')
        .set(bearer(await sign({})))
        .expect(200);
    });

    it('refuses alg none', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const { kid } = await broker.container.signingKeys.active();
      await expect401(
        `${b64({ alg: 'none', kid, typ: 'at+jwt' })}.${b64({ iss: issuer, aud: issuer, sub: service.id, iat: now, nbf: now, exp: now + 300, jti: 'x' })}.`,
      );
    });

    it('refuses a wrong audience or issuer', async () => {
      await expect401(await sign({ aud: 'https://other.example.com' }));
      await expect401(await sign({ iss: 'https://other.example.com' }));
    });

    it('refuses an expired JWT', async () => {
      await expect401(await sign({ exp: Math.floor(Date.now() / 1000) - 60 }));
    });

    it('refuses a JWT signed by an unknown key', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const { kid } = await broker.container.signingKeys.active();
      await expect401(await sign({}, { kid, privateKey }));
      await expect401(await sign({}, { kid: 'unknown-kid', privateKey }));
    });

    it("refuses a deleted service's JWTs", async () => {
      const doomed = await createService(broker, [providerKey]);
      const jwt = await clientCredentials(doomed);
      await request(broker.url).get('/v1/connections').set(bearer(jwt)).expect(200);
      await request(broker.url)
        .delete(`/admin/services/${doomed.id}`)
        .set(bearer(broker.adminToken))
        .expect(204);
      await expect401(jwt);
    });

    it('keeps verifying JWTs of a retired key after rotation; the JWKS lists both', async () => {
      const before = await clientCredentials();
      const oldKid = decodeProtectedHeader(before).kid;
      const { kid, retired } = await broker.container.signingKeys.rotate();
      expect(retired).toContain(oldKid);
      const after = await clientCredentials();
      expect(decodeProtectedHeader(after).kid).toBe(kid);
      for (const jwt of [before, after]) {
        await request(broker.url).get('/v1/connections').set(bearer(jwt)).expect(200);
      }
      const jwks = (await request(broker.url).get('/.well-known/jwks.json')).body;
      expect(jwks.keys.map((k: JWK) => k.kid)).toEqual([kid, oldKid]);
      // Once its JWTs have all expired, a retired key is no longer published.
      await broker.db.prisma.signingKey.update({
        where: { kid: oldKid! },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const later = (await request(broker.url).get('/.well-known/jwks.json')).body;
      expect(later.keys.map((k: JWK) => k.kid)).toEqual([kid]);
    });
  });

  describe('token exchange (RFC 8693)', () => {
    let connectionId: string;
    let upstreamAccessToken: string;
    beforeAll(async () => {
      const issued = await upstream.issueTokens('broker', 'dora');
      upstreamAccessToken = issued.access_token;
      connectionId = (
        await buildConnection(broker.db.prisma, broker.container.keyring, {
          providerKey,
          accessToken: issued.access_token,
          refreshToken: issued.refresh_token,
          expiresAt: new Date(Date.now() + 600_000),
        })
      ).id;
    });

    /** Exchanges a fresh subject token of `s`, expecting `status`. */
    const exchange = async (status: number, overrides: Record<string, string> = {}, s = service) =>
      tokenRequest(
        {
          grant_type: EXCHANGE,
          resource: connectionId,
          subject_token: await clientCredentials(s),
          subject_token_type: ACCESS_TOKEN_TYPE,
          ...overrides,
        },
        basic(s.client_id, s.client_secret),
      ).expect(status);

    it("returns the connection's upstream access token", async () => {
      const res = await exchange(200);
      expect(res.body).toStrictEqual({
        access_token: upstreamAccessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'openid offline_access api',
      });
      expect(res.body.expires_in).toBeGreaterThan(590);
      expect(res.body.expires_in).toBeLessThanOrEqual(600);
      await broker.container.audit.flush();
      const audit = await broker.db.prisma.auditEvent.findMany({
        where: { connectionId, action: 'token.exchange' },
      });
      expect(audit).toEqual([expect.objectContaining({ actorId: service.id, outcome: 'success' })]);
    });

    it('refuses a subject token of another service, or not a broker JWT', async () => {
      const other = await createService(broker, [providerKey]);
      const foreignSubject = await tokenRequest(
        {
          grant_type: EXCHANGE,
          resource: connectionId,
          subject_token: await clientCredentials(other),
          subject_token_type: ACCESS_TOKEN_TYPE,
        },
        basic(service.client_id, service.client_secret),
      ).expect(400);
      expect(foreignSubject.body.error).toBe('invalid_request');
      const garbage = await exchange(400, { subject_token: 'abc.def.ghi' });
      expect(garbage.body.error).toBe('invalid_request');
    });

    it('refuses a connection outside the client policy as invalid_target', async () => {
      const otherProvider = await buildProvider(
        broker.db.prisma,
        broker.container.keyring,
        upstream,
      );
      const outsider = await createService(broker, [otherProvider.key]);
      const res = await exchange(400, {}, outsider);
      expect(res.body.error).toBe('invalid_target');
      const unknown = await exchange(400, { resource: 'conn_unknown' });
      expect(unknown.body).toStrictEqual(res.body);
    });

    it('refuses missing resource or a wrong subject_token_type', async () => {
      for (const overrides of [
        { resource: '' },
        { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        { requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      ]) {
        expect((await exchange(400, overrides)).body.error).toBe('invalid_request');
      }
    });

    it('answers invalid_grant for a revoked connection', async () => {
      const issued = await upstream.issueTokens('broker', 'erin');
      const revoked = await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 600_000),
        status: 'revoked',
      });
      const res = await exchange(400, { resource: revoked.id });
      expect(res.body.error).toBe('invalid_grant');
    });
  });

  it('never logs a credential', () => {
    expect(broker.logs.text).not.toContain(service.client_secret);
    expect(broker.logs.text).not.toContain(service.api_key);
  });
});
