import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { Actor } from '../audit/actor.js';
import type { AuditOrigin } from '../audit/audit-log.js';
import type { Container } from '../container.js';
import { requestClientIp } from './client-ip.js';

/**
 * What the audit trail records of a request: its id (the `X-Request-Id` the response
 * carries) and its client IP behind `TRUST_PROXY` hops. Shared by the Express app and the
 * raw fast path.
 *
 * @example c.tokens.read(caller, id, { minTtlSeconds: 60, origin: auditOrigin(c, req, requestId) })
 */
export function auditOrigin(c: Container, req: IncomingMessage, requestId: string): AuditOrigin {
  return { requestId, clientIp: requestClientIp(req, c.config.trustProxy) };
}

/**
 * {@link auditOrigin} of an Express request (its id is kept in `res.locals` by the app).
 *
 * @example await revokeConnection(c, id, { type: 'admin', id: 'admin', origin: originOf(c, req, res) });
 */
export const originOf = (c: Container, req: Request, res: Response): AuditOrigin =>
  auditOrigin(c, req, res.locals.requestId as string);

/**
 * The admin behind an admin API or console request, with its {@link originOf}.
 *
 * @example c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.create', { key }));
 */
export const adminActorOf = (c: Container, req: Request, res: Response): Actor => ({
  type: 'admin',
  id: (res.locals.actor as { id?: string } | undefined)?.id ?? 'admin',
  origin: originOf(c, req, res),
});
