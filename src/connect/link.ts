import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FlowDeps } from './start.js';
import type { FlowCookie, FlowOutcome } from './outcome.js';
import { messagePage, type PageContext } from './pages.js';
import type { Display } from './schema.js';
import { isSessionToken, randomToken, sha256 } from './secrets.js';

/** The browser's CSRF cookie (HttpOnly, SameSite=Lax, path `/connect`). */
export const CSRF_COOKIE = 'tb_csrf';
const CSRF_COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** The CSRF cookie outlives any one connect session. */
const CSRF_COOKIE_MAX_AGE = 24 * 3600;

export type LinkSession = NonNullable<Awaited<ReturnType<typeof findSession>>>;

const findSession = (deps: FlowDeps, token: string) =>
  deps.prisma.connectSession.findUnique({
    where: { tokenHash: sha256(token) },
    include: { service: { select: { name: true, displayName: true, allowedProviders: true } } },
  });

/** `return_to` with the flow's result appended to its query. */
export function returnUrl(returnTo: string, params: Record<string, string>): string {
  const url = new URL(returnTo);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** What the user reads about the session: the app's display name, the provider's. */
export async function pageContext(
  deps: FlowDeps,
  s: LinkSession,
  display: Display,
  providerKey = s.providerKey,
): Promise<PageContext> {
  const record = providerKey ? await deps.providers.get(providerKey) : undefined;
  return {
    appName: s.service.displayName ?? s.service.name,
    providerName: record?.displayName ?? providerKey ?? undefined,
    returnTo: s.returnTo,
    display,
  };
}

/** A page that stops the flow, with a way back to the app when it gave `return_to`. */
export function stopPage(
  ctx: PageContext,
  status: number,
  p: { title: string; heading: string; message: string; error: string },
): FlowOutcome {
  const back = ctx.returnTo
    ? {
        href: returnUrl(ctx.returnTo, { status: 'error', error: p.error }),
        label: `Back to ${ctx.appName}`,
      }
    : undefined;
  return {
    kind: 'page',
    status,
    html: messagePage({ ...p, ctx, tone: 'bad', back }),
    popup: ctx.display === 'popup',
  };
}

/**
 * The session behind a link if it can still be used, or the page that says why not: an
 * unknown link, an expired one, or one already used — "already connected" when it was.
 */
export async function usableSession(
  deps: FlowDeps,
  token: string,
  display: Display,
): Promise<{ session: LinkSession; ctx: PageContext } | FlowOutcome> {
  const session = isSessionToken(token) ? await findSession(deps, token) : null;
  if (!session) {
    return {
      kind: 'page',
      status: 404,
      html: messagePage({
        title: 'Link not valid',
        heading: 'This link doesn’t work',
        message:
          'The link may be incomplete or mistyped. Go back to the app you came from and start connecting again.',
        ctx: {},
        tone: 'bad',
      }),
      popup: display === 'popup',
    };
  }
  const ctx = await pageContext(deps, session, display);
  if (session.usedAt && session.finishedAt) {
    const back = ctx.returnTo ? { href: ctx.returnTo, label: `Back to ${ctx.appName}` } : undefined;
    const provider = ctx.providerName ?? 'your';
    return {
      kind: 'page',
      status: 410,
      html: messagePage({
        title: 'Already connected',
        heading: 'Already connected',
        message: `This link already connected ${provider === 'your' ? 'your' : `your ${provider}`} account to ${ctx.appName}. There is nothing more to do.`,
        ctx,
        tone: 'ok',
        back,
      }),
      popup: display === 'popup',
    };
  }
  if (session.usedAt) {
    return stopPage(ctx, 410, {
      title: 'Link already used',
      heading: 'This link was already used',
      message: `Each connect link works once. Go back to ${ctx.appName} to get a new one.`,
      error: 'access_denied',
    });
  }
  if (session.expiresAt <= deps.clock.now()) {
    return stopPage(ctx, 410, {
      title: 'Link expired',
      heading: 'This link has expired',
      message: `For your security, connect links work for 10 minutes. Go back to ${ctx.appName} and start again.`,
      error: 'expired',
    });
  }
  return { session, ctx };
}

/** The browser's CSRF cookie value, and the cookie to set when it had none. */
export function csrfCookie(cookies: Record<string, string | undefined>): {
  value: string;
  set?: FlowCookie;
} {
  const value = cookies[CSRF_COOKIE];
  if (value && CSRF_COOKIE_VALUE.test(value)) return { value };
  const fresh = randomToken();
  return {
    value: fresh,
    set: { name: CSRF_COOKIE, value: fresh, maxAge: CSRF_COOKIE_MAX_AGE, path: '/connect' },
  };
}

/** The form's CSRF token: an HMAC of this browser's cookie and the session (nothing stored). */
export const csrfToken = (secret: string, cookie: string, sessionId: string) =>
  createHmac('sha256', secret).update(`connect-csrf:${cookie}:${sessionId}`).digest('base64url');

/** Whether a posted CSRF token belongs to this browser's cookie and this session. */
export function csrfValid(
  secret: string,
  cookies: Record<string, string | undefined>,
  sessionId: string,
  presented: string,
): boolean {
  const cookie = cookies[CSRF_COOKIE];
  if (!cookie || !CSRF_COOKIE_VALUE.test(cookie)) return false;
  const expected = Buffer.from(csrfToken(secret, cookie, sessionId));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
