import type { Request, Response } from 'express';
import { adminAction } from '../../audit/admin-action.js';
import { formValues, parseForm, type FieldErrors } from '../../console/forms.js';
import { listConsoleWebhooks } from '../../console/queries.js';
import { secretsPage } from '../../console/service-pages.js';
import {
  deleteWebhookPage,
  ENDPOINT_FIELDS,
  newWebhookPage,
  webhooksPage,
} from '../../console/webhook-pages.js';
import type { Container } from '../../container.js';
import { createEndpointBody, webhookParams } from '../../webhooks/schema.js';
import { parse } from '../../validate.js';
import { adminActorOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { csrfOf, sendPage, submitted, type ConsoleGuards } from './console-forms.js';

const NOTICES: Record<string, string> = {
  enabled: 'Endpoint enabled.',
  disabled: 'Endpoint disabled: it gets no events until it is enabled again.',
  deleted: 'Endpoint deleted.',
};

/** Console pages adding, enabling, disabling and deleting webhook endpoints and rotating their secret. */
export function registerConsoleWebhookRoutes(
  routes: RouteTable,
  c: Container,
  { signedIn, csrfChecked }: ConsoleGuards,
): void {
  const { endpoints } = c.webhooks;
  const audited = (req: Request, res: Response, action: string, id: string) =>
    c.audit.record(adminAction(adminActorOf(c, req, res), action, { webhook_id: id }));

  routes.add('GET', '/console/webhooks', signedIn, async (req, res) => {
    const notice = NOTICES[typeof req.query.done === 'string' ? req.query.done : ''];
    const list = await listConsoleWebhooks(c.db.prisma);
    sendPage(
      res,
      webhooksPage({ csrf: csrfOf(res), endpoints: list, ...(notice ? { notice } : {}) }),
    );
  });

  routes.add('GET', '/console/webhooks/new', signedIn, (_req, res) => {
    sendPage(res, newWebhookPage({ csrf: csrfOf(res), values: {}, events: [], errors: {} }));
  });

  routes.add('POST', '/console/webhooks/new', csrfChecked, async (req, res) => {
    const { values, lists } = formValues(req.body, ['events']);
    const again = (errors: FieldErrors) =>
      newWebhookPage({ csrf: csrfOf(res), values, events: lists.events, errors });
    await submitted(
      res,
      ENDPOINT_FIELDS,
      async () => {
        const body = parseForm(createEndpointBody, {
          url: values.url?.trim() ?? '',
          events: lists.events,
        });
        const { endpoint, secret } = await endpoints.create(body);
        audited(req, res, 'webhook.create', endpoint.id);
        const lead = `Events for ${endpoint.url} are signed with this secret (Standard Webhooks).`;
        const secrets: [string, string, string][] = [['webhook-secret', 'Signing secret', secret]];
        const page = secretsPage({
          csrf: csrfOf(res),
          title: 'Endpoint added',
          lead,
          secrets,
          back: '/console/webhooks',
          current: '/console/webhooks',
        });
        sendPage(res, page, 201);
      },
      again,
    );
  });

  for (const [path, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    routes.add('POST', `/console/webhooks/:id/${path}`, csrfChecked, async (req, res) => {
      const { id } = parse(webhookParams, req.params);
      await endpoints.update(id, { enabled });
      audited(req, res, 'webhook.update', id);
      res.redirect(303, `/console/webhooks?done=${path}d`);
    });
  }

  routes.add('POST', '/console/webhooks/:id/rotate-secret', csrfChecked, async (req, res) => {
    const { id } = parse(webhookParams, req.params);
    const { endpoint, secret } = await endpoints.rotateSecret(id);
    audited(req, res, 'webhook.rotate_secret', id);
    const lead = `The replaced secret keeps signing beside it until ${endpoint.previousSecretExpiresAt?.toISOString() ?? 'now'}, so ${endpoint.url} can switch without missing an event.`;
    const secrets: [string, string, string][] = [['webhook-secret', 'New signing secret', secret]];
    const page = secretsPage({
      csrf: csrfOf(res),
      title: 'Secret rotated',
      lead,
      secrets,
      back: '/console/webhooks',
      current: '/console/webhooks',
    });
    sendPage(res, page, 201);
  });

  routes.add('GET', '/console/webhooks/:id/delete', signedIn, async (req, res) => {
    const endpoint = await endpoints.get(parse(webhookParams, req.params).id);
    sendPage(res, deleteWebhookPage({ csrf: csrfOf(res), endpoint }));
  });

  routes.add('POST', '/console/webhooks/:id/delete', csrfChecked, async (req, res) => {
    const { id } = parse(webhookParams, req.params);
    await endpoints.remove(id);
    audited(req, res, 'webhook.delete', id);
    res.redirect(303, '/console/webhooks?done=deleted');
  });
}
