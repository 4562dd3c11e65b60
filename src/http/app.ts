import express, { type Express, type RequestHandler } from 'express';
import type { Container } from '../container.js';
import { methodNotAllowed, notFound } from '../errors/index.js';
import { errorHandler } from './middleware/errors.js';
import { countAuthFailure, rateLimits } from './middleware/rate-limit.js';
import { observeRequest, requestIdOf } from './middleware/observe.js';
import { setResponseHeaders } from './response-headers.js';
import { RouteTable } from './router.js';
import { registerServiceConnectRoutes } from './routes/service-connect.js';
import { registerConnectRoutes } from './routes/connect.js';
import { registerAdminConnectionRoutes } from './routes/admin-connections.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerOAuthTokenRoutes } from './routes/oauth-token.js';
import { registerOpsRoutes } from './routes/ops.js';
import {
  PROVIDER_WEBHOOK_PREFIX,
  providerWebhookBody,
  registerProviderWebhookRoutes,
} from './routes/provider-webhooks.js';
import { registerProviderRoutes } from './routes/providers.js';
import { registerServiceApiRoutes } from './routes/service-api.js';
import { registerServiceRoutes } from './routes/services.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

/** The matched route's pattern for logs and metrics; never the raw URL. */
const routePattern = (req: express.Request): string => {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : 'unmatched';
};

/** Every route of the broker, in one table. */
export function buildRoutes(c: Container): RouteTable {
  const routes = new RouteTable();
  registerOpsRoutes(routes, c);
  registerServiceRoutes(routes, c);
  registerProviderRoutes(routes, c);
  registerConnectRoutes(routes, c);
  registerAdminConnectionRoutes(routes, c);
  registerConsoleRoutes(routes, c);
  registerWebhookRoutes(routes, c);
  registerServiceApiRoutes(routes, c);
  registerOAuthTokenRoutes(routes, c);
  registerServiceConnectRoutes(routes, c);
  registerProviderWebhookRoutes(routes, c);
  return routes;
}

/**
 * A middleware every Express route passes through before its route. The raw `node:http`
 * routes in front of Express (fast-path.ts, proxy-route.ts) skip these, so each stage
 * says how they meet it: a stage cannot be added without saying so.
 */
export interface PreRouteStage {
  name: string;
  /** Mounted for paths under this prefix only. */
  path?: string;
  handler: RequestHandler;
  rawRoutes: string;
}

/** The app's stages before its routes, in order. */
export function preRouteStages(c: Container): PreRouteStage[] {
  return [
    {
      name: 'observe',
      handler: (req, res, next) => {
        const requestId = requestIdOf(req);
        // For the audit trail's origin (audit-origin.ts).
        res.locals.requestId = requestId;
        observeRequest(c.logger, req, res, requestId, () => routePattern(req));
        setResponseHeaders(res, requestId);
        next();
      },
      rawRoutes: 'each calls observeRequest and sets the same response headers itself',
    },
    {
      name: 'provider webhook body',
      // Before the JSON parser: provider signatures cover the raw bytes.
      path: PROVIDER_WEBHOOK_PREFIX,
      handler: providerWebhookBody(c),
      rawRoutes: 'not on their paths',
    },
    {
      name: 'json body',
      handler: express.json({ limit: c.config.bodyLimitBytes, strict: true }),
      rawRoutes: 'the fast path takes no request with a body; the proxy streams bodies as sent',
    },
    {
      name: 'form body',
      handler: express.urlencoded({
        extended: false,
        limit: c.config.bodyLimitBytes,
        parameterLimit: 100,
      }),
      rawRoutes: 'as the json body',
    },
    {
      name: 'rate limits',
      handler: rateLimits(c),
      rawRoutes:
        'runServiceRequest runs the same failed-authentication guard and counting; ' +
        'no per-minute budget covers their paths',
    },
  ];
}

/**
 * The Express application: the pre-route stages (request ids, logs and metrics, security
 * headers, body limits, rate limits), the route table, then 405/404 and the one error
 * handler.
 *
 * @example
 * const app = createApp(container);
 * app.listen(3000);
 */
export function createApp(c: Container, stages: PreRouteStage[] = preRouteStages(c)): Express {
  const app = express();
  app.disable('x-powered-by');
  // Every response is no-store (response-headers.ts): an ETag would never be used.
  app.set('etag', false);
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  const routes = buildRoutes(c);

  for (const stage of stages) {
    if (stage.path) app.use(stage.path, stage.handler);
    else app.use(stage.handler);
  }
  routes.mount(app);

  app.use((req, _res, next) => {
    const allow = routes.allowedMethods(req.path);
    next(allow.length > 0 ? methodNotAllowed(allow) : notFound('route'));
  });
  app.use(errorHandler(c.logger, (res) => countAuthFailure(c, res)));
  return app;
}
