import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { secretEquals } from '../services/credentials.js';

/** A console sign-in lasts a working day. */
export const SESSION_TTL_MS = 8 * 3600_000;

/** A verified console session. */
export interface ConsoleSession {
  /** Random per sign-in; the CSRF token is derived from it. */
  nonce: string;
  expiresAt: Date;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

/**
 * Stateless console sessions: the cookie is `payload.HMAC(payload)` under a key derived
 * from ADMIN_API_TOKEN, so every replica accepts it and changing the admin token signs
 * everybody out. The CSRF token of a session is an HMAC of its nonce (synchronizer
 * token, nothing stored).
 *
 * @example
 * const sessions = createConsoleSessions({ adminApiToken, clock });
 * const cookie = sessions.issue();
 * sessions.verify(cookie)?.nonce;
 */
export function createConsoleSessions(deps: { adminApiToken: string; clock: Clock }) {
  const key = createHmac('sha256', 'token-broker/console-session')
    .update(deps.adminApiToken)
    .digest();
  const mac = (data: string) => b64(createHmac('sha256', key).update(data).digest());

  return {
    /** A new session cookie value. */
    issue(): string {
      const payload = b64(
        Buffer.from(
          JSON.stringify({
            n: b64(randomBytes(16)),
            exp: deps.clock.now().getTime() + SESSION_TTL_MS,
          }),
        ),
      );
      return `${payload}.${mac(`session:${payload}`)}`;
    },

    /** The session of a cookie value, or undefined when forged, garbled or expired. */
    verify(value: string | undefined): ConsoleSession | undefined {
      const [payload, signature, extra] = (value ?? '').split('.');
      if (!payload || !signature || extra !== undefined) return undefined;
      if (!secretEquals(signature, mac(`session:${payload}`))) return undefined;
      try {
        const { n, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
          n?: unknown;
          exp?: unknown;
        };
        if (typeof n !== 'string' || typeof exp !== 'number') return undefined;
        if (exp <= deps.clock.now().getTime()) return undefined;
        return { nonce: n, expiresAt: new Date(exp) };
      } catch {
        return undefined;
      }
    },

    /** The CSRF token every form of this session carries. */
    csrfToken(session: ConsoleSession): string {
      return mac(`csrf:${session.nonce}`);
    },

    /** Whether a submitted CSRF token belongs to the session (constant time). */
    checkCsrf(session: ConsoleSession, token: unknown): boolean {
      return typeof token === 'string' && secretEquals(token, mac(`csrf:${session.nonce}`));
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;
