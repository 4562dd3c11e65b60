import express, { type RequestHandler } from 'express';
import type { Container } from '../../container.js';
import { providerParams } from '../../providers/schema.js';
import type { InboundRequest } from '../../provider-webhooks/types.js';
import { originOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { parse } from '../../validate.js';

export const PROVIDER_WEBHOOK_PREFIX = '/webhooks/providers';

/**
 * The raw body of provider webhooks, mounted before the app's JSON parser (which then
 * leaves it alone): signatures are over the exact bytes. Any content type, the body limit
 * as elsewhere; an oversized body is counted as a refusal before its 413.
 */
export function providerWebhookBody(c: Container): RequestHandler {
  const raw = express.raw({ type: () => true, limit: c.config.bodyLimitBytes });
  return (req, res, next) => {
    raw(req, res, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === 'entity.too.large') {
        c.providerWebhooks.tooLarge(req.path.split('/')[1] ?? '', originOf(c, req, res));
      }
      next(error);
    });
  };
}

function inbound(c: Container, req: express.Request, res: express.Response): InboundRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const url = `${c.config.publicUrl}${req.originalUrl}`;
  return {
    method: req.method === 'GET' ? 'GET' : 'POST',
    headers,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    url,
    query: new URL(url).searchParams,
    origin: originOf(c, req, res),
  };
}

/** `POST /webhooks/providers/{key}` and the GET challenge some providers send (Dropbox). */
export function registerProviderWebhookRoutes(routes: RouteTable, c: Container): void {
  const receive: RequestHandler = async (req, res) => {
    const { key } = parse(providerParams, req.params);
    const answer = await c.providerWebhooks.receive(key, inbound(c, req, res));
    res.status(answer.status).set(answer.headers ?? {});
    if (answer.json !== undefined) res.json(answer.json);
    else if (answer.text !== undefined && answer.text !== '')
      res.type('text/plain').send(answer.text);
    else res.end();
  };
  routes.add('POST', `${PROVIDER_WEBHOOK_PREFIX}/:key`, receive);
  routes.add('GET', `${PROVIDER_WEBHOOK_PREFIX}/:key`, receive);
}
