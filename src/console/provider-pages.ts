import type { presentProvider } from '../providers/present.js';
import type { ProviderTemplate } from '../providers/templates/index.js';
import { html, type SafeHtml } from '../views/html.js';
import { initial } from '../views/layout.js';
import {
  copyBox,
  field,
  formAlert,
  selectField,
  type FieldErrors,
  type FormValues,
} from './forms.js';
import { csrfField, layout, when } from './layout.js';
import { configField, kindOf, providerPlaceholders } from './provider-forms.js';

type Provider = ReturnType<typeof presentProvider>;

const AUTH_METHODS: [string, string][] = [
  ['', 'the default'],
  ['client_secret_basic', 'client_secret_basic'],
  ['client_secret_post', 'client_secret_post'],
  ['private_key_jwt', 'private_key_jwt'],
  ['none', 'none (public client)'],
];

/** Where to register the broker at the provider, and where it receives the provider's webhooks. */
function registration(redirectUri: string, webhookUrl: string, known: boolean): SafeHtml {
  return html`<div class="panel">
    ${copyBox('redirect-uri', 'Redirect URI', redirectUri, 'Register it as the callback (redirect) URL of your app at the provider.')}
    ${copyBox(
      'webhook-url',
      'Inbound webhook URL',
      webhookUrl,
      known
        ? 'Where the provider sends its own webhooks; they are checked with the webhook secret.'
        : 'Where the provider sends its own webhooks, {key} being the key you choose below.',
    )}
  </div>`;
}

/** Step one of adding a provider: a template from the catalog, or by hand. */
export function providerTemplatesPage(input: {
  csrf: string;
  templates: ProviderTemplate[];
}): string {
  return layout(
    'Add a provider',
    input.csrf,
    html`<p><a href="/console/providers">← Providers</a></p>
      <h1>Add a provider</h1>
      <p class="lead">Start from a built-in template, or enter the endpoints yourself.</p>
      <ul class="choices templates">
        ${input.templates.map(
          (t) =>
            html`<li>
              <a href="/console/providers/new?template=${encodeURIComponent(t.template)}"
                ><span class="mark provider" aria-hidden="true">${initial(t.displayName)}</span>
                ${t.displayName}</a
              >
            </li>`,
        )}
        <li>
          <a href="/console/providers/new?template="
            ><span class="mark" aria-hidden="true">+</span> By hand (OAuth 2.0 / OIDC)</a
          >
        </li>
      </ul>`,
    '/console/providers',
  );
}

interface ProviderFormInput {
  csrf: string;
  values: FormValues;
  errors: FieldErrors;
  template: ProviderTemplate | undefined;
}

function credentialFields(f: ProviderFormInput, editing: boolean): SafeHtml {
  const common = { values: f.values, errors: f.errors };
  const keep = editing ? ' Empty: the stored one is kept.' : '';
  return html`${field({ ...common, name: 'client_id', label: 'Client id', hint: 'Of the app you registered at the provider.' })}
  ${field({ ...common, name: 'client_secret', label: 'Client secret', type: 'password', hint: `Stored encrypted, never shown again.${keep}` })}
  ${field({ ...common, name: 'scopes', label: 'Scopes', hint: 'Separated by spaces.' })}
  ${providerPlaceholders(f.template).map((p) =>
    field({ ...common, name: configField(p.name), label: p.name, hint: p.description }),
  )}
  ${f.errors.config ? html`<p class="field-error">config: ${f.errors.config}</p>` : ''}
  ${field({ ...common, name: 'webhook_secret', label: 'Webhook secret (optional)', type: 'password', hint: `What the provider signs its webhooks with.${keep}` })}
  ${field({ ...common, name: 'api_base_url', label: 'API base URL (optional)', type: 'url', hint: f.template ? "For the proxy; empty: the template's own." : 'For the proxy, e.g. https://api.example.com.' })}`;
}

function endpointFields(f: ProviderFormInput, issuerOnly: boolean): SafeHtml {
  const common = { values: f.values, errors: f.errors };
  return html`${field({ ...common, name: 'issuer', label: 'Issuer (OIDC discovery)', type: 'url', hint: issuerOnly ? 'Its endpoints are discovered again on save.' : 'Either an issuer to discover the endpoints from, or the endpoints below.' })}
  ${
    issuerOnly
      ? ''
      : html`${field({ ...common, name: 'authorization_endpoint', label: 'Authorization endpoint', type: 'url' })}
        ${field({ ...common, name: 'token_endpoint', label: 'Token endpoint', type: 'url' })}
        ${field({ ...common, name: 'revocation_endpoint', label: 'Revocation endpoint (optional)', type: 'url' })}`
  }
  ${selectField({ ...common, name: 'client_auth_method', label: 'Client authentication', options: AUTH_METHODS })}`;
}

/** Step two: the provider's form, from a template or by hand. */
export function newProviderPage(input: ProviderFormInput & { publicUrl: string }): string {
  const t = input.template;
  const common = { values: input.values, errors: input.errors };
  return layout(
    t ? `Add ${t.displayName}` : 'Add a provider by hand',
    input.csrf,
    html`<p><a href="/console/providers/new">← Templates</a></p>
      <h1>${t ? `Add ${t.displayName}` : 'Add a provider by hand'}</h1>
      ${t?.docsUrl ? html`<p class="hint">How to register the app: <a href="${t.docsUrl}">${t.docsUrl}</a></p>` : ''}
      ${registration(`${input.publicUrl}/oauth/callback`, `${input.publicUrl}/webhooks/providers/{key}`, false)}
      ${formAlert(input.errors)}
      <form method="post" action="/console/providers/new" class="panel" novalidate>
        ${csrfField(input.csrf)}
        <input type="hidden" name="template" value="${t?.template ?? ''}" />
        ${field({ ...common, name: 'key', label: 'Key', required: true, hint: 'How services name it: lower-case letters, digits, - and _, e.g. github.' })}
        ${field({ ...common, name: 'display_name', label: 'Display name (optional)', hint: 'What end users read on the connect page.' })}
        ${t ? '' : endpointFields(input, false)}
        ${
          t
            ? ''
            : selectField({
                ...common,
                name: 'auth_mode',
                label: 'How users connect',
                options: [
                  ['oauth2', 'OAuth 2.0 consent'],
                  ['api_key', 'an API key they enter'],
                  ['basic', 'a user name and password they enter'],
                ],
              })
        }
        ${credentialFields(input, false)}
        <div class="actions"><button type="submit" class="primary">Add provider</button></div>
      </form>`,
    '/console/providers',
    { copy: true },
  );
}

/** A provider: where to register it, and its form. */
export function providerPage(
  input: ProviderFormInput & { provider: Provider; notice?: string },
): string {
  const p = input.provider;
  const kind = kindOf(p);
  const common = { values: input.values, errors: input.errors };
  const base = `/console/providers/${encodeURIComponent(p.key)}`;
  return layout(
    `Provider ${p.key}`,
    input.csrf,
    html`<p><a href="/console/providers">← Providers</a></p>
      <h1>${p.display_name} <code>${p.key}</code></h1>
      ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
      <dl>
        <dt>Made from</dt>
        <dd>
          ${kind === 'template' ? html`template <code>${p.template}</code>` : kind === 'issuer' ? html`discovery at ${p.issuer}` : 'endpoints typed by hand'}
        </dd>
        <dt>Status</dt>
        <dd>${p.status}${p.status_reason ? ` (${p.status_reason})` : ''}</dd>
        <dt>Secrets</dt>
        <dd>
          client secret ${p.has_client_secret ? 'stored' : 'none'}; webhook secret
          ${p.has_webhook_secret ? 'stored' : 'none'}
        </dd>
        <dt>Updated</dt>
        <dd>${when(p.updated_at)}</dd>
      </dl>
      <h2 class="part">Register at the provider</h2>
      ${registration(p.redirect_uri, p.webhook_url, true)}
      <h2 class="part">Settings</h2>
      ${formAlert(input.errors)}
      <form method="post" action="${base}" class="panel" novalidate>
        ${csrfField(input.csrf)}
        ${field({ ...common, name: 'display_name', label: 'Display name' })}
        ${kind === 'template' ? '' : endpointFields(input, kind === 'issuer')}
        ${credentialFields(input, true)}
        <div class="actions"><button type="submit" class="primary">Save changes</button></div>
      </form>`,
    '/console/providers',
    { copy: true },
  );
}
