import { adminAction } from '../../audit/admin-action.js';
import { listProviderSummaries } from '../../console/directory.js';
import { formValues, parseForm, type FieldErrors, type FormValues } from '../../console/forms.js';
import { providersPage } from '../../console/pages.js';
import {
  newProviderBody,
  PROVIDER_FIELDS,
  providerValues,
  updatedProviderBody,
} from '../../console/provider-forms.js';
import {
  newProviderPage,
  providerPage,
  providerTemplatesPage,
} from '../../console/provider-pages.js';
import type { Container } from '../../container.js';
import { presentProvider } from '../../providers/present.js';
import { providerBody, providerParams, providerUpdateBody } from '../../providers/schema.js';
import { findTemplate, TEMPLATES } from '../../providers/templates/index.js';
import { parse } from '../../validate.js';
import { adminActorOf } from '../audit-origin.js';
import type { RouteTable } from '../router.js';
import { csrfOf, sendPage, submitted, type ConsoleGuards } from './console-forms.js';

const NOTICES: Record<string, string> = {
  created: 'Provider added. Register the redirect URI below at the provider.',
  saved: 'Changes saved.',
};

/** A template named by a form or query, or undefined (by hand, or not a template). */
const templateOf = (name: unknown) => (typeof name === 'string' ? findTemplate(name) : undefined);

/** Console pages adding providers (from a template or by hand) and changing them. */
export function registerConsoleProviderRoutes(
  routes: RouteTable,
  c: Container,
  { signedIn, csrfChecked }: ConsoleGuards,
): void {
  const { publicUrl } = c.config;
  const presented = async (key: string) =>
    presentProvider(await c.providerRegistry.get(key), publicUrl);
  const pageOf = async (
    csrf: string,
    key: string,
    refused?: { values: FormValues; errors: FieldErrors },
    notice?: string,
  ) => {
    const provider = await presented(key);
    const template = templateOf(provider.template);
    const values = { ...providerValues(provider), ...refused?.values };
    const errors = refused?.errors ?? {};
    return providerPage({
      csrf,
      provider,
      template,
      values,
      errors,
      ...(notice ? { notice } : {}),
    });
  };

  routes.add('GET', '/console/providers', signedIn, async (_req, res) => {
    const providers = await listProviderSummaries(c.db.prisma);
    sendPage(res, providersPage({ csrf: csrfOf(res), providers }));
  });

  routes.add('GET', '/console/providers/new', signedIn, (req, res) => {
    const csrf = csrfOf(res);
    if (req.query.template === undefined) {
      sendPage(res, providerTemplatesPage({ csrf, templates: [...TEMPLATES.values()] }));
      return;
    }
    const template = templateOf(req.query.template);
    const values = template
      ? { key: template.template, scopes: template.scopes.join(' ') }
      : { auth_mode: 'oauth2' };
    sendPage(res, newProviderPage({ csrf, publicUrl, template, values, errors: {} }));
  });

  routes.add('POST', '/console/providers/new', csrfChecked, async (req, res) => {
    const { values } = formValues(req.body);
    const template = templateOf(values.template);
    await submitted(
      res,
      PROVIDER_FIELDS,
      async () => {
        const body = parseForm(providerBody, newProviderBody(values, template));
        const row = await c.providerRegistry.create(body);
        c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.create', {}, row.key));
        res.redirect(303, `/console/providers/${encodeURIComponent(row.key)}?done=created`);
      },
      (errors) => newProviderPage({ csrf: csrfOf(res), publicUrl, template, values, errors }),
    );
  });

  routes.add('GET', '/console/providers/:key', signedIn, async (req, res) => {
    const { key } = parse(providerParams, req.params);
    const notice = NOTICES[typeof req.query.done === 'string' ? req.query.done : ''];
    sendPage(res, await pageOf(csrfOf(res), key, undefined, notice));
  });

  routes.add('POST', '/console/providers/:key', csrfChecked, async (req, res) => {
    const { key } = parse(providerParams, req.params);
    const { values } = formValues(req.body);
    const current = await presented(key);
    await submitted(
      res,
      PROVIDER_FIELDS,
      async () => {
        const draft = updatedProviderBody(current, values, templateOf(current.template));
        const body = parseForm(providerUpdateBody, draft);
        await c.providerRegistry.update(key, body);
        const fields = Object.keys(body).sort().join(',');
        c.audit.record(adminAction(adminActorOf(c, req, res), 'provider.update', { fields }, key));
        res.redirect(303, `/console/providers/${encodeURIComponent(key)}?done=saved`);
      },
      (errors) => pageOf(csrfOf(res), key, { values, errors }),
    );
  });
}
