import { html } from '../views/html.js';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/outbox.js';
import { checkboxField, field, formAlert, type FieldErrors, type FormValues } from './forms.js';
import { csrfField, layout, table } from './layout.js';
import type { ConsoleWebhook } from './queries.js';

/** Fields of the endpoint form, in the admin API's names. */
export const ENDPOINT_FIELDS = ['url', 'events', 'enabled'] as const;

const state = (e: ConsoleWebhook) =>
  e.enabled
    ? e.failingSince
      ? html`<span class="badge reauthorization_required">failing</span>`
      : html`<span class="badge active">enabled</span>`
    : html`<span class="badge revoked">disabled</span> ${e.disabledReason ?? ''}`;

/** Webhook endpoints (never their secrets), their deliveries by status, and their actions. */
export function webhooksPage(input: {
  csrf: string;
  endpoints: ConsoleWebhook[];
  notice?: string;
}): string {
  const button = (e: ConsoleWebhook, path: string, label: string, cls = '') =>
    html`<form class="inline" method="post" action="/console/webhooks/${e.id}/${path}">
      ${csrfField(input.csrf)}
      <button type="submit" class="${cls}" aria-label="${label} ${e.url}">${label}</button>
    </form>`;
  return layout(
    'Webhooks',
    input.csrf,
    html`<div class="title-row">
        <h1>Webhook endpoints</h1>
        <a class="btn primary" href="/console/webhooks/new">Add endpoint</a>
      </div>
      ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
      ${table(
        ['Endpoint', 'State', 'Events', 'Deliveries', 'Actions'],
        input.endpoints.map(
          (e) =>
            html`<tr>
              <td>${e.url}<br /><code class="rel">${e.id}</code></td>
              <td>${state(e)}</td>
              <td class="wrap">${e.events.length ? e.events.join(', ') : 'all'}</td>
              <td>
                <a href="/console/deliveries?endpoint=${e.id}"
                  >${
                    Object.entries(e.deliveries)
                      .map(([status, n]) => `${n} ${status}`)
                      .join(', ') || 'none'
                  }</a
                >
              </td>
              <td>
                <div class="row-actions">
                  ${e.enabled ? button(e, 'disable', 'Disable') : button(e, 'enable', 'Enable')}
                  ${button(e, 'rotate-secret', 'Rotate secret')}
                  <a
                    class="btn danger-outline"
                    href="/console/webhooks/${e.id}/delete"
                    aria-label="Delete ${e.url}"
                    >Delete…</a
                  >
                </div>
              </td>
            </tr>`,
        ),
        'No webhook endpoints yet.',
      )}`,
    '/console/webhooks',
  );
}

/** The form adding an endpoint. */
export function newWebhookPage(input: {
  csrf: string;
  values: FormValues;
  events: readonly string[];
  errors: FieldErrors;
}): string {
  return layout(
    'Add a webhook endpoint',
    input.csrf,
    html`<p><a href="/console/webhooks">← Webhooks</a></p>
      <h1>Add a webhook endpoint</h1>
      ${formAlert(input.errors)}
      <form method="post" action="/console/webhooks/new" class="panel" novalidate>
        ${csrfField(input.csrf)}
        ${field({
          name: 'url',
          label: 'URL',
          type: 'url',
          required: true,
          hint: 'Where the broker POSTs events, signed per Standard Webhooks.',
          values: input.values,
          errors: input.errors,
        })}
        ${checkboxField({
          name: 'events',
          legend: 'Events',
          hint: 'None ticked: every event.',
          options: [...WEBHOOK_EVENT_TYPES],
          checked: input.events,
          errors: input.errors,
        })}
        <div class="actions"><button type="submit" class="primary">Add endpoint</button></div>
      </form>`,
    '/console/webhooks',
  );
}

/** The confirmation step before an endpoint is deleted. */
export function deleteWebhookPage(input: {
  csrf: string;
  endpoint: { id: string; url: string };
}): string {
  const e = input.endpoint;
  return layout(
    'Delete webhook endpoint',
    input.csrf,
    html`<h1>Delete the endpoint <code>${e.id}</code>?</h1>
      <p>
        <strong>${e.url}</strong> gets no more events, and its deliveries, pending and past, are
        deleted with it. This cannot be undone.
      </p>
      <form method="post" action="/console/webhooks/${e.id}/delete">
        ${csrfField(input.csrf)}
        <div class="actions">
          <button type="submit" class="danger">Delete endpoint</button>
          <a class="btn" href="/console/webhooks">Cancel</a>
        </div>
      </form>`,
    '/console/webhooks',
  );
}
