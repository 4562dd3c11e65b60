import type pg from 'pg';
import type { ConsoleSession } from './session.js';

/**
 * Console sessions signed out before they expired. Session cookies are stateless (signed),
 * so signing out records the session's nonce until the cookie would have expired, and
 * every replica refuses it from then on; housekeeping deletes the expired rows.
 *
 * @example
 * const signOuts = createSignOuts(pool);
 * await signOuts.record(session);
 * await signOuts.includes(session); // true
 */
export function createSignOuts(pool: pg.Pool) {
  return {
    async record(session: ConsoleSession): Promise<void> {
      await pool.query(
        'INSERT INTO console_sign_outs (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [session.nonce, session.expiresAt],
      );
    },

    async includes(session: ConsoleSession): Promise<boolean> {
      const { rowCount } = await pool.query({
        name: 'console-sign-out',
        text: 'SELECT 1 FROM console_sign_outs WHERE nonce = $1',
        values: [session.nonce],
      });
      return (rowCount ?? 0) > 0;
    },
  };
}
