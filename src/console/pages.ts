import type { ProviderSummary, ServiceSummary } from './directory.js';
import type { PresentedAuditEvent } from '../audit/present.js';
import type { PresentedAdminConnection, PresentedConnection } from '../connections/present.js';
import { CONNECTION_STATUSES } from '../connections/schemas.js';
import { html, page } from '../views/html.js';
import { badge, csrfField, layout, pager, table, when } from './layout.js';
import type { ConsoleConnectionFilters, NumberedPage } from './queries.js';

/**
 * The sign-in page. `csrf` is the double-submit value also set as a cookie.
 *
 * @example
 * res.send(signInPage({ csrf, error: 'That token is not the admin token.' }));
 */
export function signInPage(input: { csrf: string; error?: string }): string {
  return page(
    'Sign in',
    html`<h1>Token Broker console</h1>
      ${input.error ? html`<div class="error" role="alert"><p>${input.error}</p></div>` : ''}
      <form method="post" action="/console/sign-in" class="stack">
        ${csrfField(input.csrf)}
        <label for="token">Admin API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`,
  );
}

/** The connections list: provider dropdown, subject prefix, status, numbered pages. */
export function connectionsPage(input: {
  csrf: string;
  filters: ConsoleConnectionFilters;
  providers: string[];
  connections: NumberedPage<PresentedConnection>;
}): string {
  const f = input.filters;
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}" ${selected ? html`selected` : ''}>${label}</option>`;
  const rows = input.connections.rows.map(
    (cn) =>
      html`<tr>
        <td><a href="/console/connections/${cn.id}">${cn.subject}</a></td>
        <td>${cn.provider}</td>
        <td>${badge(cn.status)}</td>
        <td>${when(cn.expires_at)}</td>
        <td>${when(cn.last_refreshed_at)}</td>
        <td><code>${cn.id}</code></td>
      </tr>`,
  );
  return layout(
    'Connections',
    input.csrf,
    html`<h1>Connections</h1>
      <form method="get" action="/console/connections" class="filters">
        <label
          >Provider
          <select name="provider">
            ${option('', 'any', !f.provider)}
            ${input.providers.map((k) => option(k, k, f.provider === k))}
          </select></label
        >
        <label
          >Subject starts with <input name="subject" value="${f.subject ?? ''}" autocomplete="off"
        /></label>
        <label
          >Status
          <select name="status">
            ${option('', 'any', !f.status)}
            ${CONNECTION_STATUSES.map((s) => option(s, s, f.status === s))}
          </select></label
        >
        <button type="submit">Filter</button>
      </form>
      ${table(
        ['Subject', 'Provider', 'Status', 'Expires', 'Last refresh', 'Connection'],
        rows,
        'No connections match.',
      )}
      ${pager('/console/connections', { ...f }, input.connections)}`,
    '/console/connections',
  );
}

/** A connection, its revoke button and its audit trail. */
export function connectionPage(input: {
  csrf: string;
  connection: PresentedAdminConnection;
  audit: PresentedAuditEvent[];
  notice?: string;
}): string {
  const cn = input.connection;
  const fields: [string, unknown][] = [
    ['Provider', cn.provider],
    ['Subject', cn.subject],
    ['Scopes', cn.scopes.join(' ') || '—'],
    ['Expires', when(cn.expires_at)],
    ['Created', when(cn.created_at)],
    ['Updated', when(cn.updated_at)],
    ['Last refresh', when(cn.last_refreshed_at)],
    ['Last error', cn.last_error ?? '—'],
    ['Revoked', when(cn.revoked_at)],
    ['Upstream revocation', cn.upstream_revocation ?? '—'],
  ];
  return layout(
    `Connection ${cn.id}`,
    input.csrf,
    html`<h1>Connection <code>${cn.id}</code> ${badge(cn.status)}</h1>
      ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
      <dl>
        ${fields.map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd>${v}</dd>`,
        )}
      </dl>
      ${
        cn.status === 'revoked'
          ? ''
          : html`<div class="actions">
              ${
                cn.service_id
                  ? html`<form
                      class="inline"
                      method="post"
                      action="/console/connections/${cn.id}/reconnect-link"
                    >
                      ${csrfField(input.csrf)}
                      <button type="submit">Reconnect link</button>
                    </form>`
                  : ''
              }
              <a class="btn danger-outline" href="/console/connections/${cn.id}/revoke">Revoke…</a>
            </div>`
      }
      <h2>Audit trail</h2>
      ${
        input.audit.length === 0
          ? html`<p>No audit events yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                ${input.audit.map(
                  (e) =>
                    html`<tr>
                      <td>${when(e.at)}</td>
                      <td>${e.actor_type}${e.actor_id ? html` <code>${e.actor_id}</code>` : ''}</td>
                      <td>${e.action}</td>
                      <td>${e.outcome}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
    '/console/connections',
  );
}

/** The confirmation step before a revocation. */
export function revokeConfirmPage(input: {
  csrf: string;
  connection: PresentedConnection;
}): string {
  const cn = input.connection;
  return layout(
    'Revoke connection',
    input.csrf,
    html`<h1>Revoke connection <code>${cn.id}</code>?</h1>
      <p>
        The tokens of <strong>${cn.subject}</strong> at <strong>${cn.provider}</strong> are revoked
        at the provider and erased here. Services lose access at once; the user has to connect
        again. This cannot be undone.
      </p>
      <form method="post" action="/console/connections/${cn.id}/revoke">
        ${csrfField(input.csrf)}
        <button type="submit" class="danger">Revoke connection</button>
        <a href="/console/connections/${cn.id}">Cancel</a>
      </form>`,
    '/console/connections',
  );
}

/** Registered providers (no secrets), each linking to its page. */
export function providersPage(input: { csrf: string; providers: ProviderSummary[] }): string {
  return layout(
    'Providers',
    input.csrf,
    html`<div class="title-row">
        <h1>Providers</h1>
        <a class="btn primary" href="/console/providers/new">Add provider</a>
      </div>
      ${table(
        ['Key', 'Name', 'Issuer', 'Client id', 'Auth', 'Revocation', 'Connections'],
        input.providers.map(
          (p) =>
            html`<tr>
              <td><a href="/console/providers/${encodeURIComponent(p.key)}">${p.key}</a></td>
              <td>${p.displayName}</td>
              <td>${p.issuer ?? '—'}</td>
              <td><code>${p.clientId}</code></td>
              <td>${p.clientAuthMethod}</td>
              <td>${p.revocationSupported ? 'RFC 7009' : 'none'}</td>
              <td>
                <a href="/console/connections?provider=${encodeURIComponent(p.key)}"
                  >${p.connections}</a
                >
              </td>
            </tr>`,
        ),
        'No providers registered yet.',
      )}`,
    '/console/providers',
  );
}

/** Registered services (no credentials), each linking to its page. */
export function servicesPage(input: { csrf: string; services: ServiceSummary[] }): string {
  return layout(
    'Services',
    input.csrf,
    html`<div class="title-row">
        <h1>Services</h1>
        <a class="btn primary" href="/console/services/new">New service</a>
      </div>
      ${table(
        ['Name', 'Id', 'Allowed providers', 'Allowed return_to', 'Created'],
        input.services.map(
          (s) =>
            html`<tr>
              <td><a href="/console/services/${s.id}">${s.name}</a></td>
              <td><code>${s.id}</code></td>
              <td>${s.allowedProviders.join(', ') || '—'}</td>
              <td>${s.allowedReturnTo.join(', ') || '—'}</td>
              <td>${when(s.createdAt.toISOString())}</td>
            </tr>`,
        ),
        'No services registered yet.',
      )}`,
    '/console/services',
  );
}
