import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { FlowOutcome } from '../../connect/index.js';
import { connectSessionBody } from '../../connect/schema.js';
import type { Container } from '../../container.js';
import { authenticateService, currentService } from '../middleware/service-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

const sessionToken = z.object({ token: z.string().max(200) });

/** The raw query string: the callback's parameters exactly as the provider sent them. */
const rawQuery = (req: Request) => {
  const at = req.originalUrl.indexOf('?');
  return at === -1 ? '' : req.originalUrl.slice(at + 1);
};

/** Writes a browser-flow outcome: the binding cookie, then a redirect or a page. */
function send(res: Response, outcome: FlowOutcome, secure: boolean): void {
  if (outcome.cookie) {
    res.append(
      'Set-Cookie',
      stringifySetCookie(outcome.cookie.name, outcome.cookie.value, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: '/oauth/callback',
        maxAge: outcome.cookie.maxAge,
      }),
    );
  }
  if (outcome.kind === 'redirect') {
    res.redirect(302, outcome.location);
    return;
  }
  res.status(outcome.status).type('html').send(outcome.html);
}

/** `POST /v1/connect-sessions`, `GET /connect/:token`, `GET /oauth/callback`. */
export function registerConnectRoutes(routes: RouteTable, c: Container): void {
  const secure = c.config.publicUrl.startsWith('https:');

  routes.add('POST', '/v1/connect-sessions', authenticateService(c), async (req, res) => {
    const body = parse(connectSessionBody, req.body);
    const s = await c.connect.createSession(currentService(res), body);
    res.status(201).json({
      id: s.id,
      token: s.token,
      connect_url: s.connectUrl,
      expires_at: s.expiresAt.toISOString(),
    });
  });

  routes.add('GET', '/connect/:token', async (req, res) => {
    // Link checkers probe with HEAD; only a real visit may spend the single-use session.
    if (req.method === 'HEAD') {
      res.status(204).end();
      return;
    }
    send(res, await c.connect.start(parse(sessionToken, req.params).token), secure);
  });

  routes.add('GET', '/oauth/callback', async (req, res) => {
    const cookies = parseCookie(req.headers.cookie ?? '');
    send(res, await c.connect.finish(new URLSearchParams(rawQuery(req)), cookies), secure);
  });
}
