import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import { BROKER_JWT_ALG, BROKER_JWT_TTL_SECONDS, type SigningKeys } from './signing-keys.js';

/** JWT `typ` of broker access tokens (RFC 9068), checked on verification. */
const JWT_TYP = 'at+jwt';
/**
 * Clock skew tolerated between replicas when checking `exp` and `nbf`: replicas ±30 s off
 * true time are 60 s apart (test/faults/clock-skew.test.ts).
 */
export const CLOCK_TOLERANCE_SECONDS = 60;

export interface BrokerJwtClaims {
  /** The service id. */
  sub: string;
  jti: string;
  exp: number;
}

/**
 * Issues and verifies the broker's own access tokens: ES256 JWTs with `iss` = `aud` =
 * PUBLIC_URL, `sub` = the service id, `kid` in the header.
 *
 * @example
 * const jwt = createBrokerJwt({ keys, clock, issuer: config.publicUrl });
 * const { token, expiresIn } = await jwt.issue('svc_123');
 * await jwt.verify(token); // { sub: 'svc_123', … } or undefined
 */
export function createBrokerJwt(deps: { keys: SigningKeys; clock: Clock; issuer: string }) {
  return {
    async issue(serviceId: string): Promise<{ token: string; expiresIn: number }> {
      const { kid, privateKey } = await deps.keys.active();
      const now = Math.floor(deps.clock.now().getTime() / 1000);
      const token = await new SignJWT({ client_id: serviceId })
        .setProtectedHeader({ alg: BROKER_JWT_ALG, kid, typ: JWT_TYP })
        .setIssuer(deps.issuer)
        .setAudience(deps.issuer)
        .setSubject(serviceId)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + BROKER_JWT_TTL_SECONDS)
        .sign(privateKey);
      return { token, expiresIn: BROKER_JWT_TTL_SECONDS };
    },

    /**
     * The claims of a valid broker JWT, or undefined: algorithm pinned to ES256, `typ`,
     * `iss`, `aud`, `exp`, `nbf` checked, key looked up by `kid` among the broker's keys.
     */
    async verify(token: string): Promise<BrokerJwtClaims | undefined> {
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            const key = header.kid ? await deps.keys.verificationKey(header.kid) : undefined;
            if (!key) throw new Error('unknown signing key');
            return key;
          },
          {
            algorithms: [BROKER_JWT_ALG],
            typ: JWT_TYP,
            issuer: deps.issuer,
            audience: deps.issuer,
            requiredClaims: ['sub', 'exp', 'iat', 'nbf', 'jti'],
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            currentDate: deps.clock.now(),
          },
        );
        const { sub, jti, exp, iat } = payload as Required<typeof payload>;
        if (exp - iat > BROKER_JWT_TTL_SECONDS) return undefined;
        return { sub, jti, exp };
      } catch {
        return undefined;
      }
    },
  };
}

export type BrokerJwt = ReturnType<typeof createBrokerJwt>;
