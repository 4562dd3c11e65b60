import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { BrokerError, invalidRequest } from '../errors/index.js';
import { matchesHash, sha256 } from './credentials.js';
import { toPrincipal, type ServicePrincipal, type ServiceStore } from './service-store.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Client authentication methods of `POST /oauth/token` (RFC 8414 names). */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
/** Algorithms accepted for private_key_jwt client assertions (asymmetric only). */
export const ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
/** A client assertion may live at most this long (RFC 7523: `exp` should be short). */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 5;
/** Compared when the client is unknown so that the answer takes as long as for a known one. */
const DUMMY_HASH = sha256('no such client');

/** Client credentials as they arrive at the token endpoint. */
export interface ClientCredentials {
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  client_id?: string | undefined;
  client_secret?: string | undefined;
  client_assertion_type?: string | undefined;
  client_assertion?: string | undefined;
}

const invalidClient = (basic: boolean, description = 'client authentication failed') =>
  new BrokerError('invalid_client', description, {
    status: 401,
    headers: basic ? { 'WWW-Authenticate': 'Basic realm="token-broker", charset="UTF-8"' } : {},
  });

/** RFC 6749 §2.3.1: both halves of Basic credentials are form-urlencoded. */
function parseBasic(header: string): { id: string; secret: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const unform = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * Client authentication for `POST /oauth/token`: `client_secret_basic`,
 * `client_secret_post` (the current client secret, or the replaced one until its expiry), or `private_key_jwt` (RFC 7523) against the service's JWKS,
 * each assertion `jti` usable once.
 *
 * @example
 * const service = await clientAuth.authenticate({ authorization: req.headers.authorization, ...body });
 */
export function createClientAuthenticator(deps: {
  prisma: PrismaClient;
  services: ServiceStore;
  clock: Clock;
  /** Audiences a client assertion may name: the token endpoint URL and the issuer. */
  audiences: string[];
}) {
  async function bySecret(id: string, secret: string, basic: boolean): Promise<ServicePrincipal> {
    const row = await deps.services.findByClientId(id);
    // Both comparisons always run, so the answer's timing does not tell which one matched.
    const current = matchesHash(secret, row?.clientSecretHash ?? DUMMY_HASH);
    const previous = matchesHash(secret, row?.previousClientSecretHash ?? DUMMY_HASH);
    const previousValid =
      previous && (row?.previousClientSecretExpiresAt?.getTime() ?? 0) > deps.clock.now().getTime();
    if (!row || !(current || previousValid)) throw invalidClient(basic);
    return toPrincipal(row);
  }

  /** Stores the assertion's `jti` until it expires; false when it was seen before. */
  async function firstUse(clientId: string, jti: string, exp: number): Promise<boolean> {
    const now = deps.clock.now();
    await deps.prisma.clientAssertionJti.deleteMany({ where: { expiresAt: { lt: now } } });
    const rows = await deps.prisma
      .$executeRaw`INSERT INTO client_assertion_jtis (client_id, jti, expires_at)
      VALUES (${clientId}, ${jti}, ${new Date(exp * 1000)}) ON CONFLICT DO NOTHING`;
    return rows === 1;
  }

  async function byAssertion(assertion: string, claimedId: string | undefined) {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      throw invalidClient(false, 'client_assertion is not a JWT');
    }
    const clientId = claimedId ?? issuer;
    if (!clientId || issuer !== clientId) throw invalidClient(false);
    const row = await deps.services.findByClientId(clientId);
    const jwks = row?.jwks as JSONWebKeySet | null | undefined;
    if (!row || !jwks?.keys?.length) throw invalidClient(false);
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: deps.audiences,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: deps.clock.now(),
      });
      const now = deps.clock.now().getTime() / 1000;
      const { exp, jti } = payload as { exp: number; jti: string };
      if (exp - now > MAX_ASSERTION_LIFETIME_SECONDS) throw new Error('exp too far ahead');
      if (!(await firstUse(clientId, jti, exp))) throw new Error('jti replayed');
    } catch {
      throw invalidClient(false);
    }
    return toPrincipal(row);
  }

  return {
    /**
     * The authenticated service.
     * @throws BrokerError invalid_client (401; with `WWW-Authenticate: Basic` when Basic was
     *   used), invalid_request when several methods or a bad assertion type were used.
     */
    async authenticate(c: ClientCredentials): Promise<ServicePrincipal> {
      const basic = c.authorization?.match(/^Basic /i) ? parseBasic(c.authorization) : undefined;
      const methods = [
        c.authorization !== undefined,
        c.client_secret !== undefined,
        c.client_assertion !== undefined,
      ].filter(Boolean).length;
      if (methods > 1) throw invalidRequest('use exactly one client authentication method');
      if (c.authorization !== undefined) {
        if (!basic) throw invalidClient(true, 'malformed Basic credentials');
        if (c.client_id !== undefined && c.client_id !== basic.id) {
          throw invalidRequest('client_id does not match the Basic credentials');
        }
        return bySecret(basic.id, basic.secret, true);
      }
      if (c.client_secret !== undefined) {
        if (c.client_id === undefined) throw invalidRequest('client_id is required');
        return bySecret(c.client_id, c.client_secret, false);
      }
      if (c.client_assertion !== undefined) {
        if (c.client_assertion_type !== JWT_BEARER_ASSERTION) {
          throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
        }
        return byAssertion(c.client_assertion, c.client_id);
      }
      throw invalidClient(false, 'client authentication required');
    },
  };
}

export type ClientAuthenticator = ReturnType<typeof createClientAuthenticator>;
