import type { Container } from '../../container.js';
import { invalidRequest } from '../../errors/index.js';
import { tokenForm } from '../../tokens/schema.js';
import { authorizationServerMetadata } from '../../tokens/token-endpoint.js';
import { originOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

/** How long clients may cache the JWKS and the metadata. */
const DISCOVERY_MAX_AGE_SECONDS = 60;

/** `POST /oauth/token`, its RFC 8414 metadata and the broker's JWKS. */
export function registerOAuthTokenRoutes(routes: RouteTable, c: Container): void {
  routes.add('POST', '/oauth/token', async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) {
      throw invalidRequest('the body must be application/x-www-form-urlencoded');
    }
    const params = parse(tokenForm, req.body);
    const origin = originOf(c, req, res);
    const answer = await c.tokenEndpoint.handle(req.headers.authorization, params, origin);
    res.set(answer.headers).set('Pragma', 'no-cache').json(answer.body);
  });

  routes.add('GET', '/.well-known/oauth-authorization-server', (_req, res) => {
    res.set('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`);
    res.json(authorizationServerMetadata(c.config.publicUrl));
  });

  routes.add('GET', '/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`);
    res.json(await c.signingKeys.publicJwks());
  });
}
