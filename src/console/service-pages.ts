import type { presentApiKey } from '../services/present.js';
import type { presentService } from '../services/present.js';
import { CONNECTION_ACCESS } from '../services/service-store.js';
import { html, type SafeHtml } from '../views/html.js';
import {
  checkboxField,
  copyBox,
  field,
  formAlert,
  selectField,
  type FieldErrors,
  type FormValues,
} from './forms.js';
import { csrfField, layout, table, when } from './layout.js';

type Service = ReturnType<typeof presentService>;
type ApiKey = ReturnType<typeof presentApiKey>;

/** The forms of the service page, for telling which one a refusal belongs to. */
export type ServicePageForm = 'service' | 'key' | 'secret' | 'connect';

/** The fields of the service form, in the admin API's names. */
export const SERVICE_FIELDS = [
  'name',
  'display_name',
  'allowed_providers',
  'allowed_return_to',
  'connection_access',
  'jwks',
] as const;

/** A service's form values as the edit form shows them. */
export const serviceValues = (s: Service): FormValues => ({
  name: s.name,
  display_name: s.display_name ?? '',
  allowed_return_to: s.allowed_return_to.join('\n'),
  connection_access: s.connection_access,
  jwks: s.jwks ? JSON.stringify(s.jwks, null, 2) : '',
});

interface ServiceFormInput {
  values: FormValues;
  checkedProviders: readonly string[];
  errors: FieldErrors;
  providers: string[];
}

function serviceFields(f: ServiceFormInput): SafeHtml {
  const common = { values: f.values, errors: f.errors };
  return html`${field({ ...common, name: 'name', label: 'Name', required: true, hint: 'For you and the audit log, e.g. billing.' })}
  ${field({ ...common, name: 'display_name', label: 'Display name (optional)', hint: 'What end users read on the connect page; the name when empty.' })}
  ${checkboxField({ name: 'allowed_providers', legend: 'Allowed providers', options: f.providers, checked: f.checkedProviders, errors: f.errors })}
  ${field({ ...common, name: 'allowed_return_to', label: 'Allowed return_to origins', rows: 3, hint: 'One origin per line, e.g. https://app.example.com: where connect sessions may send users back to.' })}
  ${selectField({
    ...common,
    name: 'connection_access',
    label: 'Connection access',
    hint: 'own: only the connections this service created. provider: every connection of its allowed providers.',
    options: CONNECTION_ACCESS.map((a) => [a, a]),
  })}
  ${field({ ...common, name: 'jwks', label: 'JWKS for private_key_jwt (optional)', rows: 4, hint: 'Public keys as JSON, {"keys":[…]}; empty for none.' })}`;
}

/** The form creating a service. */
export function newServicePage(input: ServiceFormInput & { csrf: string }): string {
  return layout(
    'New service',
    input.csrf,
    html`<p><a href="/console/services">← Services</a></p>
      <h1>New service</h1>
      ${formAlert(input.errors)}
      <form method="post" action="/console/services/new" class="panel" novalidate>
        ${csrfField(input.csrf)} ${serviceFields(input)}
        <div class="actions"><button type="submit" class="primary">Create service</button></div>
      </form>`,
    '/console/services',
  );
}

/** Shown once after a secret was made: the value, a copy button, and where to go next. */
export function secretsPage(input: {
  csrf: string;
  title: string;
  lead: string;
  secrets: [id: string, label: string, value: string][];
  back: string;
  /** The navigation's section; services unless said. */
  current?: string;
}): string {
  return layout(
    input.title,
    input.csrf,
    html`<h1>${input.title}</h1>
      <p class="notice" role="status">${input.lead}</p>
      <div class="alert warn">
        <p>
          <strong>Copy ${input.secrets.length > 1 ? 'them' : 'it'} now.</strong> The broker does not
          show ${input.secrets.length > 1 ? 'them' : 'it'} again.
        </p>
      </div>
      <div class="panel">
        ${input.secrets.map(([id, label, value], i) => copyBox(id, label, value, undefined, i === 0))}
      </div>
      <div class="actions"><a class="btn primary" href="${input.back}">Done</a></div>`,
    input.current ?? '/console/services',
    { copy: true },
  );
}

/** A service: its form, its API keys, its client secret and a connect link. */
export function servicePage(
  input: ServiceFormInput & {
    csrf: string;
    service: Service;
    keys: ApiKey[];
    previousSecretExpiresAt: Date | null;
    notice?: string;
    /** Which of the page's forms the errors and typed values belong to. */
    errorsOf: ServicePageForm;
  },
): string {
  const s = input.service;
  const errorsFor = (form: ServicePageForm) => (input.errorsOf === form ? input.errors : {});
  const base = `/console/services/${encodeURIComponent(s.id)}`;
  const keyRows = input.keys.map(
    (k) =>
      html`<tr>
        <td><code>${k.id}</code></td>
        <td>${when(k.created_at)}</td>
        <td>${k.expires_at ? when(k.expires_at) : 'never'}</td>
        <td>${when(k.last_used_at)}</td>
        <td>
          <form class="inline" method="post" action="${base}/keys/${k.id}/revoke">
            ${csrfField(input.csrf)}
            <button type="submit" class="danger" aria-label="Revoke API key ${k.id}">Revoke</button>
          </form>
        </td>
      </tr>`,
  );
  const keyErrors = errorsFor('key');
  const secretErrors = errorsFor('secret');
  const connectErrors = errorsFor('connect');
  return layout(
    `Service ${s.name}`,
    input.csrf,
    html`<p><a href="/console/services">← Services</a></p>
      <h1>${s.display_name ?? s.name} <code>${s.id}</code></h1>
      ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
      <dl>
        <dt>Client id</dt>
        <dd><code>${s.client_id}</code></dd>
        <dt>Created</dt>
        <dd>${when(s.created_at)}</dd>
      </dl>

      <h2 class="part" id="settings">Settings</h2>
      ${formAlert(errorsFor('service'))}
      <form method="post" action="${base}" class="panel" novalidate>
        ${csrfField(input.csrf)} ${serviceFields({ ...input, errors: errorsFor('service') })}
        <div class="actions"><button type="submit" class="primary">Save changes</button></div>
      </form>

      <h2 class="part" id="keys">API keys</h2>
      <p class="hint">
        Rotation with an overlap: issue a new key, move the callers to it, then revoke the old one.
      </p>
      ${table(['Key', 'Created', 'Expires', 'Last used', ''], keyRows, 'No API keys: issue one below.')}
      ${formAlert(keyErrors)}
      <form method="post" action="${base}/keys" class="panel" novalidate>
        ${csrfField(input.csrf)}
        ${field({
          name: 'expires_at',
          label: 'Expires at (optional)',
          hint: 'An ISO 8601 instant such as 2027-01-31T12:00:00Z; empty: never.',
          values: input.values,
          errors: keyErrors,
        })}
        <div class="actions"><button type="submit">Issue API key</button></div>
      </form>

      <h2 class="part" id="client-secret">Client secret</h2>
      <p class="hint">
        For <code>POST /oauth/token</code>.
        ${
          input.previousSecretExpiresAt && input.previousSecretExpiresAt > new Date()
            ? html`The replaced secret still works until ${when(input.previousSecretExpiresAt)}.`
            : 'One secret is valid.'
        }
      </p>
      ${formAlert(secretErrors)}
      <form method="post" action="${base}/client-secret" class="panel" novalidate>
        ${csrfField(input.csrf)}
        ${field({
          name: 'previous_expires_at',
          label: 'The current secret stops at (optional)',
          hint: 'An ISO 8601 instant; empty: 24 hours from now; a past time: at once.',
          values: input.values,
          errors: secretErrors,
        })}
        <div class="actions"><button type="submit">Rotate client secret</button></div>
      </form>

      <h2 class="part" id="connect-link">Connect link</h2>
      <p class="hint">
        A single-use link, valid for 10 minutes, that lets one end user connect an account for this
        service. Send it only to that user: whoever opens it connects their account as the subject.
      </p>
      ${formAlert(connectErrors)}
      <form method="post" action="${base}/connect-link" class="panel" novalidate>
        ${csrfField(input.csrf)}
        ${selectField({
          name: 'provider',
          label: 'Provider',
          values: input.values,
          errors: connectErrors,
          options: [
            ['', 'let the user choose'],
            ...s.allowed_providers.map((p): [string, string] => [p, p]),
          ],
        })}
        ${field({
          name: 'subject',
          label: 'Subject',
          required: true,
          hint: "Your application's id for the user or tenant, e.g. user-42.",
          values: input.values,
          errors: connectErrors,
        })}
        ${field({
          name: 'return_to',
          label: 'Return to (optional)',
          type: 'url',
          hint: 'Where the browser goes afterwards, under an allowed origin; empty: a success page.',
          values: input.values,
          errors: connectErrors,
        })}
        <div class="actions"><button type="submit">Create connect link</button></div>
      </form>`,
    '/console/services',
  );
}

/** A connect or reconnect link, with a copy button. */
export function connectLinkPage(input: {
  csrf: string;
  title: string;
  lead: SafeHtml;
  url: string;
  expiresAt: Date;
  back: string;
  current: string;
}): string {
  return layout(
    input.title,
    input.csrf,
    html`<h1>${input.title}</h1>
      <p>${input.lead}</p>
      <div class="panel">
        ${copyBox('connect-url', 'Link for the end user', input.url, 'Single use.', true)}
      </div>
      <p>Expires ${when(input.expiresAt)}.</p>
      <div class="actions"><a class="btn" href="${input.back}">Back</a></div>`,
    input.current,
    { copy: true },
  );
}
