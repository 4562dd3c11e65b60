import { randomBytes } from 'node:crypto';
import { parse as parseCookies, serialize } from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import { listAuditEvents } from '../../audit/query.js';
import { auditPage, deliveriesPage, overviewPage } from '../../console/manage-pages.js';
import { loadOverview } from '../../console/overview.js';
import {
  listConsoleAudit,
  listConsoleConnections,
  listConsoleDeliveries,
  pageNumber,
} from '../../console/queries.js';
import { presentAuditEvent } from '../../audit/present.js';
import { presentAdminConnection } from '../../connections/present.js';
import { presentConnection } from '../../connections/present.js';
import { revokeConnection } from '../../connections/revoke.js';
import { CONNECTION_STATUSES, idParam } from '../../connections/schemas.js';
import {
  connectionPage,
  connectionsPage,
  revokeConfirmPage,
  signInPage,
} from '../../console/pages.js';
import {
  createConsoleSessions,
  SESSION_TTL_MS,
  type ConsoleSession,
} from '../../console/session.js';
import { createSignOuts } from '../../console/sign-outs.js';
import type { Container } from '../../container.js';
import { BrokerError } from '../../errors/index.js';
import { secretEquals } from '../../services/credentials.js';
import { adminAction } from '../../audit/admin-action.js';
import { adminActorOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { registerConsoleProviderRoutes } from './console-providers.js';
import { registerConsoleServiceRoutes } from './console-services.js';
import { registerConsoleWebhookRoutes } from './console-webhooks.js';
import { parse } from '../../validate.js';

const SESSION_COOKIE = 'tb_console';
/** Double-submit token of the sign-in form, before there is a session to tie it to. */
const SIGN_IN_COOKIE = 'tb_console_signin';

const csrfRejected = () =>
  new BrokerError(
    'access_denied',
    'This form has expired or did not come from the console. Go back, reload the page and try again.',
  );

/**
 * The named text fields of a query string; empty, repeated or overlong ones mean "no filter".
 */
function textFilters<K extends string>(query: Request['query'], names: readonly K[]) {
  const out: Partial<Record<K, string>> = {};
  for (const name of names) {
    const v = query[name];
    if (typeof v === 'string' && v !== '' && v.length <= 255) out[name] = v;
  }
  return out;
}

/** The admin web console: sign-in, connections, revocation, providers and services. */
export function registerConsoleRoutes(routes: RouteTable, c: Container): void {
  const sessions = createConsoleSessions({
    adminApiToken: c.config.adminApiToken,
    clock: c.clock,
  });
  const signOuts = createSignOuts(c.db.pool);
  const secure = c.config.publicUrl.startsWith('https:');
  const cookieOptions = { httpOnly: true, sameSite: 'strict', secure, path: '/console' } as const;
  const cookies = (req: Request) => parseCookies(req.headers.cookie ?? '');

  const renderSignIn = (res: Response, status: number, error?: string) => {
    const csrf = randomBytes(16).toString('base64url');
    res.append('Set-Cookie', serialize(SIGN_IN_COOKIE, csrf, { ...cookieOptions, maxAge: 3600 }));
    res
      .status(status)
      .type('html')
      .send(signInPage({ csrf, ...(error ? { error } : {}) }));
  };

  /** The request's console session: signed, not expired, and not signed out. */
  const sessionOf = async (req: Request) => {
    const session = sessions.verify(cookies(req)[SESSION_COOKIE]);
    return session && !(await signOuts.includes(session)) ? session : undefined;
  };
  /** Pages need a session: without one the browser goes to the sign-in page. */
  const signedIn: RequestHandler = async (req, res, next) => {
    const session = await sessionOf(req);
    if (!session) {
      res.redirect(303, '/console');
      return;
    }
    res.locals.csrf = sessions.csrfToken(session);
    next();
  };
  /** Every POST form carries the session's CSRF token. */
  const csrfChecked: RequestHandler = async (req, res, next) => {
    const session = await sessionOf(req);
    const token = (req.body as Record<string, unknown> | undefined)?.csrf;
    if (!session || !sessions.checkCsrf(session, token)) {
      next(csrfRejected());
      return;
    }
    res.locals.session = session;
    res.locals.csrf = sessions.csrfToken(session);
    next();
  };
  const csrf = (res: Response) => res.locals.csrf as string;

  routes.add('GET', '/console', async (req, res) => {
    if (await sessionOf(req)) res.redirect(303, '/console/overview');
    else renderSignIn(res, 200);
  });

  routes.add('POST', '/console/sign-in', (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const expected = cookies(req)[SIGN_IN_COOKIE];
    if (!expected || typeof body.csrf !== 'string' || !secretEquals(body.csrf, expected)) {
      next(csrfRejected());
      return;
    }
    if (typeof body.token !== 'string' || !secretEquals(body.token, c.config.adminApiToken)) {
      c.audit.record({
        ...adminAction(adminActorOf(c, req, res), 'console.sign_in', {}),
        outcome: 'invalid_token',
      });
      renderSignIn(res, 401, 'That is not the admin API token.');
      return;
    }
    c.audit.record(adminAction(adminActorOf(c, req, res), 'console.sign_in', {}));
    res.append('Set-Cookie', serialize(SIGN_IN_COOKIE, '', { ...cookieOptions, maxAge: 0 }));
    res.append(
      'Set-Cookie',
      serialize(SESSION_COOKIE, sessions.issue(), {
        ...cookieOptions,
        maxAge: SESSION_TTL_MS / 1000,
      }),
    );
    res.redirect(303, '/console/overview');
  });

  routes.add('POST', '/console/sign-out', csrfChecked, async (req, res) => {
    c.audit.record(adminAction(adminActorOf(c, req, res), 'console.sign_out', {}));
    // The cookie is stateless: without this record it would stay valid until it expires.
    await signOuts.record(res.locals.session as ConsoleSession);
    res.append('Set-Cookie', serialize(SESSION_COOKIE, '', { ...cookieOptions, maxAge: 0 }));
    res.redirect(303, '/console');
  });

  routes.add('GET', '/console/overview', signedIn, async (_req, res) => {
    await c.audit.flush();
    const overview = await loadOverview(c.db.prisma, c.clock.now());
    res.type('html').send(overviewPage({ csrf: csrf(res), overview }));
  });

  routes.add('GET', '/console/connections', signedIn, async (req, res) => {
    const filters = textFilters(req.query, ['provider', 'subject', 'status']);
    if (filters.status && !(CONNECTION_STATUSES as readonly string[]).includes(filters.status))
      delete filters.status;
    const [found, providers] = await Promise.all([
      listConsoleConnections(c.db.prisma, filters, pageNumber(req.query.page)),
      c.db.prisma.provider.findMany({ select: { key: true }, orderBy: { key: 'asc' } }),
    ]);
    res.type('html').send(
      connectionsPage({
        csrf: csrf(res),
        filters,
        providers: providers.map((p) => p.key),
        connections: { ...found, rows: found.rows.map(presentConnection) },
      }),
    );
  });

  routes.add('GET', '/console/audit', signedIn, async (req, res) => {
    const filters = textFilters(req.query, ['action', 'actor', 'connection']);
    await c.audit.flush();
    const found = await listConsoleAudit(c.db.prisma, filters, pageNumber(req.query.page));
    res.type('html').send(
      auditPage({
        csrf: csrf(res),
        filters,
        events: { ...found, rows: found.rows.map(presentAuditEvent) },
      }),
    );
  });

  routes.add('GET', '/console/deliveries', signedIn, async (req, res) => {
    const filters = textFilters(req.query, ['status', 'endpoint', 'type']);
    const deliveries = await listConsoleDeliveries(
      c.db.prisma,
      filters,
      pageNumber(req.query.page),
    );
    const notice = req.query.replayed === '1' ? 'Delivery queued again.' : undefined;
    res
      .type('html')
      .send(
        deliveriesPage({ csrf: csrf(res), filters, deliveries, ...(notice ? { notice } : {}) }),
      );
  });

  routes.add('POST', '/console/deliveries/:id/replay', csrfChecked, async (req, res) => {
    const { id } = parse(idParam, req.params);
    await c.webhooks.deliveries.replay(id);
    c.audit.record(adminAction(adminActorOf(c, req, res), 'webhook.replay', { delivery_id: id }));
    res.redirect(303, '/console/deliveries?replayed=1');
  });

  routes.add('GET', '/console/connections/:id', signedIn, async (req, res) => {
    const { id } = parse(idParam, req.params);
    const connection = presentAdminConnection(await c.connections.get(id, 'admin'));
    await c.audit.flush();
    const audit = await listAuditEvents(c.db.prisma, { connection_id: id, limit: 100 });
    const notice =
      req.query.revoked === '1'
        ? connection.upstream_revocation === 'failed'
          ? 'Connection revoked here; the provider did not confirm yet and is retried in the background.'
          : 'Connection revoked.'
        : undefined;
    res.type('html').send(
      connectionPage({
        csrf: csrf(res),
        connection,
        audit: audit.data.map(presentAuditEvent),
        ...(notice ? { notice } : {}),
      }),
    );
  });

  routes.add('GET', '/console/connections/:id/revoke', signedIn, async (req, res) => {
    const { id } = parse(idParam, req.params);
    const connection = presentConnection(await c.connections.get(id, 'admin'));
    res.type('html').send(revokeConfirmPage({ csrf: csrf(res), connection }));
  });

  routes.add('POST', '/console/connections/:id/revoke', csrfChecked, async (req, res) => {
    const { id } = parse(idParam, req.params);
    await revokeConnection(c, id, adminActorOf(c, req, res));
    res.redirect(303, `/console/connections/${encodeURIComponent(id)}?revoked=1`);
  });

  const guards = { signedIn, csrfChecked };
  registerConsoleServiceRoutes(routes, c, guards);
  registerConsoleProviderRoutes(routes, c, guards);
  registerConsoleWebhookRoutes(routes, c, guards);
}
