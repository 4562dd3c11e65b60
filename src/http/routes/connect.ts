import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';
import { CONNECT_JS, POPUP_JS } from '../../connect/browser-scripts.js';
import type { FlowOutcome } from '../../connect/index.js';
import { presentConnectSession } from '../../connect/present.js';
import {
  callbackParams,
  completeBody,
  connectForm,
  connectPageParams,
  connectPageQuery,
  connectSessionBody,
  connectSessionParams,
} from '../../connect/schema.js';
import type { Container } from '../../container.js';
import { presentConnection } from '../../connections/present.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import { originOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** The raw query string: the callback's parameters exactly as the provider sent them. */
const rawQuery = (req: Request) => {
  const at = req.originalUrl.indexOf('?');
  return at === -1 ? '' : req.originalUrl.slice(at + 1);
};

const cookiesOf = (req: Request) => parseCookie(req.headers.cookie ?? '');

/**
 * Writes a browser-flow outcome: its cookies, then a redirect or a page. A popup flow's
 * responses keep `window.opener` (COOP `unsafe-none` instead of `same-origin`) and may run
 * the broker's own scripts; nothing else about the headers changes.
 */
function send(req: Request, res: Response, outcome: FlowOutcome, secure: boolean): void {
  for (const cookie of outcome.cookies ?? []) {
    res.append(
      'Set-Cookie',
      stringifySetCookie(cookie.name, cookie.value, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: cookie.path,
        maxAge: cookie.maxAge,
      }),
    );
  }
  let csp = String(res.getHeader('Content-Security-Policy'));
  if (outcome.formTargets && outcome.formTargets.length > 0) {
    csp = csp.replace("form-action 'self'", `form-action 'self' ${outcome.formTargets.join(' ')}`);
  }
  if (outcome.popup) {
    res.setHeader('Cross-Origin-Opener-Policy', 'unsafe-none');
    csp += ";script-src 'self'";
  }
  res.setHeader('Content-Security-Policy', csp);
  if (outcome.kind === 'redirect') {
    // After a form POST, 303 makes the browser GET the next page.
    res.redirect(req.method === 'POST' ? 303 : 302, outcome.location);
    return;
  }
  res.status(outcome.status).type('html').send(outcome.html);
}

/** A script of the broker's own, cacheable; `/connect.js` may be loaded by apps' pages. */
const script = (res: Response, body: string, crossOrigin: boolean) => {
  if (crossOrigin) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(body);
};

/**
 * `POST /v1/connect-sessions`, `POST /v1/connect-sessions/:id/complete`, the connect page
 * (`GET`/`POST /connect/:token`), `GET /oauth/callback`, and the popup scripts.
 */
export function registerConnectRoutes(routes: RouteTable, c: Container): void {
  const secure = c.config.publicUrl.startsWith('https:');
  const service = authenticateService(c);

  routes.add('POST', '/v1/connect-sessions', service, async (req, res) => {
    const body = parse(connectSessionBody, req.body);
    const s = await c.connect.createSession(currentService(res), body);
    res.status(201).json(presentConnectSession(s));
  });

  routes.add('POST', '/v1/connect-sessions/:id/complete', service, async (req, res) => {
    const { id } = parse(connectSessionParams, req.params);
    const body = parse(completeBody, req.body);
    res.json(
      presentConnection(
        await c.connect.complete(currentService(res), id, body, originOf(c, req, res)),
      ),
    );
  });

  routes.add('GET', '/connect.js', (_req, res) => script(res, CONNECT_JS, true));
  routes.add('GET', '/connect/popup.js', (_req, res) => script(res, POPUP_JS, false));

  routes.add('GET', '/connect/:token', async (req, res) => {
    const { token } = parse(connectPageParams, req.params);
    const query = connectPageQuery.parse(req.query);
    send(req, res, await c.connect.show(token, query, cookiesOf(req)), secure);
  });

  routes.add('POST', '/connect/:token', async (req, res) => {
    const { token } = parse(connectPageParams, req.params);
    // Any body that is not a form (a JSON array, a string) is an empty form: CSRF refuses it.
    const form = connectForm.catch(connectForm.parse({})).parse(req.body);
    send(
      req,
      res,
      await c.connect.submit(token, form, cookiesOf(req), originOf(c, req, res)),
      secure,
    );
  });

  const callback = (req: Request, res: Response, callbackKey?: string) =>
    c.connect
      .finish(
        new URLSearchParams(rawQuery(req)),
        cookiesOf(req),
        originOf(c, req, res),
        callbackKey,
      )
      .then((outcome) => send(req, res, outcome, secure));
  routes.add('GET', '/oauth/callback', (req, res) => callback(req, res));
  // A provider's own redirect URI (distinct_redirect_uri): RFC 9700 §4.4.2 mix-up defence.
  routes.add('GET', '/oauth/callback/:key', (req, res) =>
    callback(req, res, parse(callbackParams, req.params).key),
  );
}
