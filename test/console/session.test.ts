import { createConsoleSessions, SESSION_TTL_MS } from '../../src/console/session.js';

describe('console sessions', () => {
  let now = Date.parse('2026-03-01T09:00:00Z');
  const clock = { now: () => new Date(now) };
  const sessions = createConsoleSessions({ adminApiToken: 'a'.repeat(32), clock });

  it('accepts its own cookie until it expires after 8 hours', () => {
    const cookie = sessions.issue();
    const session = sessions.verify(cookie);
    expect(session?.expiresAt.getTime()).toBe(now + SESSION_TTL_MS);
    now += SESSION_TTL_MS - 1000;
    expect(sessions.verify(cookie)).toBeDefined();
    now += 1000;
    expect(sessions.verify(cookie)).toBeUndefined();
  });

  it('refuses a cookie with an altered payload, another signature, or garbage', () => {
    const cookie = sessions.issue();
    const [payload = '', signature = ''] = cookie.split('.');
    const longer = Buffer.from(
      JSON.stringify({ n: 'x', exp: now + 100 * SESSION_TTL_MS }),
    ).toString('base64url');
    expect(sessions.verify(`${longer}.${signature}`)).toBeUndefined();
    expect(sessions.verify(`${payload}.${signature.slice(1)}A`)).toBeUndefined();
    expect(sessions.verify(`${cookie}.extra`)).toBeUndefined();
    expect(sessions.verify('')).toBeUndefined();
    expect(sessions.verify(undefined)).toBeUndefined();
  });

  it('signs everybody out when the admin token changes', () => {
    const cookie = sessions.issue();
    const rotated = createConsoleSessions({ adminApiToken: 'b'.repeat(32), clock });
    expect(rotated.verify(cookie)).toBeUndefined();
  });

  it("binds the CSRF token to its session: another session's token is refused", () => {
    const one = sessions.verify(sessions.issue());
    const two = sessions.verify(sessions.issue());
    if (!one || !two) throw new Error('sessions did not verify');
    expect(sessions.checkCsrf(one, sessions.csrfToken(one))).toBe(true);
    expect(sessions.checkCsrf(one, sessions.csrfToken(two))).toBe(false);
    expect(sessions.checkCsrf(one, undefined)).toBe(false);
    expect(sessions.checkCsrf(one, ['x'])).toBe(false);
  });
});
