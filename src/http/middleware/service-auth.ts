import type { RequestHandler, Response } from 'express';
import type { Container } from '../../container.js';
import { BrokerError } from '../../errors/index.js';
import type { ServicePrincipal } from '../../services/service-store.js';
import { authenticateBearer } from '../service-request.js';

/**
 * Authenticates an internal service by `Authorization: Bearer <API key or broker JWT>`
 * and puts its principal in `res.locals.service`; 401 `invalid_token` otherwise.
 *
 * @example
 * routes.add('POST', '/v1/connect-sessions', authenticateService(c), createSession);
 */
export function authenticateService(c: Container): RequestHandler {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => authenticateBearer(c, req))
      .then((service) => {
        res.locals.service = service;
        next();
      })
      .catch(next);
  };
}

/** The principal set by `authenticateService`. */
export function currentService(res: Response): ServicePrincipal {
  const service = res.locals.service as ServicePrincipal | undefined;
  if (!service) throw new BrokerError('server_error', 'route is missing authenticateService');
  return service;
}
