import type { Request, Response } from 'express';
import { adminAction } from '../../audit/admin-action.js';
import { connectSessionBody } from '../../connect/schema.js';
import { idParam } from '../../connections/schemas.js';
import { listServiceSummaries } from '../../console/directory.js';
import { formValues, parseForm, type FieldErrors, type FormValues } from '../../console/forms.js';
import { servicesPage } from '../../console/pages.js';
import { instantBody, serviceBodyOf, serviceForm } from '../../console/service-forms.js';
import {
  connectLinkPage,
  newServicePage,
  secretsPage,
  SERVICE_FIELDS,
  servicePage,
  serviceValues,
  type ServicePageForm,
} from '../../console/service-pages.js';
import type { Container } from '../../container.js';
import { presentApiKey, presentService } from '../../services/present.js';
import {
  createKeyBody,
  createServiceBody,
  rotateClientSecretBody,
  serviceKeyParams,
  serviceParams,
  toNewService,
  toServicePatch,
  updateServiceBody,
} from '../../services/schema.js';
import { toPrincipal } from '../../services/service-store.js';
import { invalidRequest } from '../../errors/index.js';
import { parse } from '../../validate.js';
import { html } from '../../views/html.js';
import { adminActorOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { csrfOf, sendPage, submitted, type ConsoleGuards } from './console-forms.js';

const CONNECT_FIELDS = ['provider', 'subject', 'return_to'];

/** A refused form of the service page: which one, what was typed, and its messages. */
interface Refused {
  form: ServicePageForm;
  values: FormValues;
  providers?: string[];
  errors: FieldErrors;
}

/**
 * Console pages creating and changing services, their API keys, client secret, and connect
 * and reconnect links (minted as the service, as `POST /v1/connect-sessions` does).
 */
export function registerConsoleServiceRoutes(
  routes: RouteTable,
  c: Container,
  { signedIn, csrfChecked }: ConsoleGuards,
): void {
  const providerKeys = async () =>
    (await c.db.prisma.provider.findMany({ select: { key: true }, orderBy: { key: 'asc' } })).map(
      (p) => p.key,
    );
  const audit = (req: Request, res: Response, action: string, detail: Record<string, string>) =>
    c.audit.record(adminAction(adminActorOf(c, req, res), action, detail));

  /** The service page; after a refused form, that form shows what was typed and why. */
  const servicePageOf = async (res: Response, id: string, refused?: Refused, notice?: string) => {
    const row = await c.services.get(id);
    const service = presentService(row);
    return servicePage({
      csrf: csrfOf(res),
      service,
      keys: (await c.services.keys.list(id)).map(presentApiKey),
      previousSecretExpiresAt: row.previousClientSecretExpiresAt,
      providers: await providerKeys(),
      values: { ...serviceValues(service), ...refused?.values },
      checkedProviders: refused?.providers ?? service.allowed_providers,
      errors: refused?.errors ?? {},
      errorsOf: refused?.form ?? 'service',
      ...(notice ? { notice } : {}),
    });
  };

  routes.add('GET', '/console/services', signedIn, async (_req, res) => {
    const services = await listServiceSummaries(c.db.prisma);
    sendPage(res, servicesPage({ csrf: csrfOf(res), services }));
  });

  routes.add('GET', '/console/services/new', signedIn, async (_req, res) => {
    const providers = await providerKeys();
    const values = { connection_access: 'own' };
    sendPage(
      res,
      newServicePage({ csrf: csrfOf(res), providers, values, checkedProviders: [], errors: {} }),
    );
  });

  routes.add('POST', '/console/services/new', csrfChecked, async (req, res) => {
    const form = serviceForm(req.body);
    const providers = await providerKeys();
    const again = (errors: FieldErrors) =>
      newServicePage({
        csrf: csrfOf(res),
        providers,
        values: form.values,
        checkedProviders: form.providers,
        errors,
      });
    await submitted(
      res,
      SERVICE_FIELDS,
      async () => {
        const body = parseForm(createServiceBody, serviceBodyOf(form, false));
        const { service, apiKey, clientSecret } = await c.services.create(toNewService(body));
        audit(req, res, 'service.create', { service_id: service.id });
        const page = secretsPage({
          csrf: csrfOf(res),
          title: `Service ${service.name} created`,
          lead: `Its client id is ${service.clientId}. Give the API key or the client secret to the service.`,
          secrets: [
            ['api-key', 'API key', apiKey],
            ['client-secret', 'Client secret', clientSecret],
          ],
          back: `/console/services/${service.id}`,
        });
        sendPage(res, page, 201);
      },
      again,
    );
  });

  routes.add('GET', '/console/services/:id', signedIn, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const notice = { saved: 'Changes saved.', revoked: 'API key revoked.' }[
      typeof req.query.done === 'string' ? req.query.done : ''
    ];
    sendPage(res, await servicePageOf(res, id, undefined, notice));
  });

  routes.add('POST', '/console/services/:id', csrfChecked, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const form = serviceForm(req.body);
    const refused = (errors: FieldErrors): Refused => ({
      form: 'service',
      values: form.values,
      providers: form.providers,
      errors,
    });
    await submitted(
      res,
      SERVICE_FIELDS,
      async () => {
        const body = parseForm(updateServiceBody, serviceBodyOf(form, true));
        await c.services.update(id, toServicePatch(body));
        audit(req, res, 'service.update', {
          service_id: id,
          fields: Object.keys(body).sort().join(','),
        });
        res.redirect(303, `/console/services/${encodeURIComponent(id)}?done=saved`);
      },
      (errors) => servicePageOf(res, id, refused(errors)),
    );
  });

  routes.add('POST', '/console/services/:id/keys', csrfChecked, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const { values } = formValues(req.body);
    await submitted(
      res,
      ['expires_at'],
      async () => {
        const body = parseForm(createKeyBody, instantBody(values, 'expires_at'));
        const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
        const { row, apiKey } = await c.services.keys.issue(id, { expiresAt });
        audit(req, res, 'service.key_create', { service_id: id, key_id: row.id });
        const lead = `Key ${row.id} works ${row.expiresAt ? `until ${row.expiresAt.toISOString()}` : 'until it is revoked'}; the other keys keep working.`;
        const page = secretsPage({
          csrf: csrfOf(res),
          title: 'New API key',
          lead,
          secrets: [['api-key', 'API key', apiKey]],
          back: `/console/services/${id}#keys`,
        });
        sendPage(res, page, 201);
      },
      (errors) => servicePageOf(res, id, { form: 'key', values, errors }),
    );
  });

  routes.add('POST', '/console/services/:id/keys/:key_id/revoke', csrfChecked, async (req, res) => {
    const { id, key_id } = parse(serviceKeyParams, req.params);
    await c.services.keys.revoke(id, key_id);
    audit(req, res, 'service.key_revoke', { service_id: id, key_id });
    res.redirect(303, `/console/services/${encodeURIComponent(id)}?done=revoked#keys`);
  });

  routes.add('POST', '/console/services/:id/client-secret', csrfChecked, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const { values } = formValues(req.body);
    await submitted(
      res,
      ['previous_expires_at'],
      async () => {
        const body = parseForm(rotateClientSecretBody, instantBody(values, 'previous_expires_at'));
        const until = body.previous_expires_at;
        const rotated = await c.services.clientSecrets.rotate(id, {
          previousExpiresAt: until === undefined ? undefined : new Date(until),
        });
        const previous = rotated.previousExpiresAt?.toISOString() ?? null;
        c.audit.record(
          adminAction(adminActorOf(c, req, res), 'service.client_secret_rotate', {
            service_id: id,
            previous_expires_at: previous,
          }),
        );
        const lead = previous
          ? `The replaced secret keeps working until ${previous}.`
          : 'The replaced secret stopped working.';
        const page = secretsPage({
          csrf: csrfOf(res),
          title: 'New client secret',
          lead,
          secrets: [['client-secret', 'Client secret', rotated.clientSecret]],
          back: `/console/services/${id}#client-secret`,
        });
        sendPage(res, page, 201);
      },
      (errors) => servicePageOf(res, id, { form: 'secret', values, errors }),
    );
  });

  routes.add('POST', '/console/services/:id/connect-link', csrfChecked, async (req, res) => {
    const { id } = parse(serviceParams, req.params);
    const { values } = formValues(req.body);
    await submitted(
      res,
      CONNECT_FIELDS,
      async () => {
        const body = parseForm(connectSessionBody, {
          subject: values.subject ?? '',
          ...(values.provider ? { provider: values.provider } : {}),
          ...instantBody(values, 'return_to'),
        });
        const service = toPrincipal(await c.services.get(id));
        const session = await c.connect.createSession(service, body);
        audit(req, res, 'console.connect_link', { service_id: id, connect_session_id: session.id });
        const who = html`<strong>${body.subject}</strong> at
          <strong>${body.provider ?? 'a provider the user picks'}</strong>`;
        sendPage(
          res,
          connectLinkPage({
            csrf: csrfOf(res),
            title: 'Connect link',
            lead: html`For ${who}, on behalf of
              <strong>${service.displayName ?? service.name}</strong>.`,
            url: session.connectUrl,
            expiresAt: session.expiresAt,
            back: `/console/services/${id}#connect-link`,
            current: '/console/services',
          }),
          201,
        );
      },
      (errors) => servicePageOf(res, id, { form: 'connect', values, errors }),
    );
  });

  routes.add('POST', '/console/connections/:id/reconnect-link', csrfChecked, async (req, res) => {
    const { id } = parse(idParam, req.params);
    const connection = await c.connections.get(id, 'admin');
    // A reconnect is the owning service's: the flow replaces its connection's tokens.
    if (!connection.serviceId) throw invalidRequest('this connection has no owning service');
    const service = toPrincipal(await c.services.get(connection.serviceId));
    const session = await c.connect.createSession(service, { connection_id: id });
    audit(req, res, 'console.reconnect_link', {
      service_id: service.id,
      connection_id: id,
      connect_session_id: session.id,
    });
    const lead = html`For <strong>${connection.subject}</strong> at
      <strong>${connection.providerKey}</strong>: the flow replaces this connection's tokens and
      keeps its id.`;
    const page = connectLinkPage({
      csrf: csrfOf(res),
      title: 'Reconnect link',
      lead,
      url: session.connectUrl,
      expiresAt: session.expiresAt,
      back: `/console/connections/${encodeURIComponent(id)}`,
      current: '/console/connections',
    });
    sendPage(res, page, 201);
  });
}
