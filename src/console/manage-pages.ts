import type { PresentedAuditEvent } from '../audit/present.js';
import { html, page, type SafeHtml } from '../views/html.js';
import { DELIVERY_STATUSES } from '../webhooks/deliveries.js';
import { badge, consoleNav, csrfField, layout, pager, table, when } from './layout.js';
import type { Overview } from './overview.js';
import type {
  ConsoleAuditFilters,
  ConsoleDelivery,
  ConsoleDeliveryFilters,
  NumberedPage,
} from './queries.js';

const STATUS_ORDER = ['active', 'reauthorization_required', 'revoked'] as const;

/** Refresh failures and proxy errors per hour as bars: server-rendered SVG, no script. */
function failureChart(hours: Overview['hours']): SafeHtml {
  const width = 720;
  const height = 160;
  const top = Math.max(1, ...hours.map((h) => Math.max(h.refreshFailures, h.proxyErrors)));
  const slot = width / hours.length;
  const bar = (n: number, x: number, cls: string) => {
    const h = Math.round((n / top) * (height - 24));
    return html`<rect
      class="${cls}"
      x="${x.toFixed(1)}"
      y="${height - 16 - h}"
      width="${(slot / 2 - 2).toFixed(1)}"
      height="${h}"
    ></rect>`;
  };
  const total = (k: 'refreshFailures' | 'proxyErrors') => hours.reduce((s, h) => s + h[k], 0);
  const label = `Last 24 hours: ${total('refreshFailures')} refresh failures, ${total('proxyErrors')} proxy errors; busiest hour ${top === 1 && total('refreshFailures') + total('proxyErrors') === 0 ? 'none' : top}`;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}">
      <title>${label}</title>
      <line class="axis" x1="0" y1="${height - 16}" x2="${width}" y2="${height - 16}"></line>
      <line class="axis" x1="0" y1="8" x2="${width}" y2="8"></line>
      <text x="${width - 2}" y="20" text-anchor="end">${top} per hour</text>
      ${hours.map(
        (h, i) =>
          html`${bar(h.refreshFailures, i * slot + 1, 'bar-refresh')}${bar(h.proxyErrors, i * slot + slot / 2, 'bar-proxy')}`,
      )}
      ${hours
        .map((h, i) => ({ h, i }))
        .filter(({ i }) => i % 6 === 0)
        .map(
          ({ h, i }) =>
            html`<text x="${(i * slot + 2).toFixed(1)}" y="${height - 2}"
              >${h.start.toISOString().slice(11, 16)}</text
            >`,
        )}
    </svg>
    <figcaption>
      <span class="key refresh">Refresh failures (${total('refreshFailures')})</span>
      <span class="key proxy">Proxy errors (${total('proxyErrors')})</span>
      <span class="rel">per hour, UTC</span>
    </figcaption>
  </figure>`;
}

/** The overview: counts by status and provider, provider health, the last day's failures. */
export function overviewPage(input: { csrf: string; overview: Overview }): string {
  const o = input.overview;
  const count = (n: number | undefined) => n ?? 0;
  const all = Object.values(o.connectionsByStatus).reduce((a, b) => a + b, 0);
  const tile = (label: string, value: number, href: string) =>
    html`<a class="tile" href="${href}"><strong>${value}</strong><span>${label}</span></a>`;
  const health = (p: Overview['providers'][number]) => {
    const stuck = count(p.byStatus.reauthorization_required);
    return stuck > 0
      ? html`<span class="badge reauthorization_required">${stuck} need reconnecting</span>`
      : html`<span class="badge active">healthy</span>`;
  };
  return layout(
    'Overview',
    input.csrf,
    html`<h1>Overview</h1>
      <div class="tiles">
        ${tile('connections', all, '/console/connections')}
        ${STATUS_ORDER.map((s) =>
          tile(
            s.replace('_', ' '),
            count(o.connectionsByStatus[s]),
            `/console/connections?status=${s}`,
          ),
        )}
        ${tile('providers', o.providers.length, '/console/providers')}
        ${tile('services', o.services, '/console/services')}
        ${tile('webhook endpoints', o.webhookEndpoints, '/console/webhooks')}
        ${tile('failed deliveries', o.failingDeliveries, '/console/deliveries?status=failed')}
      </div>
      <h2>Refresh failures and proxy errors</h2>
      ${failureChart(o.hours)}
      <h2>Providers</h2>
      ${table(
        ['Provider', 'Active', 'Need reconnecting', 'Revoked', 'Health'],
        o.providers.map(
          (p) =>
            html`<tr>
              <td>
                <a href="/console/connections?provider=${encodeURIComponent(p.key)}">${p.key}</a>
              </td>
              <td>${count(p.byStatus.active)}</td>
              <td>${count(p.byStatus.reauthorization_required)}</td>
              <td>${count(p.byStatus.revoked)}</td>
              <td>${health(p)}</td>
            </tr>`,
        ),
        'No providers registered yet: see README.md, "First five minutes".',
      )}`,
    '/console/overview',
  );
}

/** The overall audit log with prefix and contains filters. */
export function auditPage(input: {
  csrf: string;
  filters: ConsoleAuditFilters;
  events: NumberedPage<PresentedAuditEvent>;
}): string {
  const f = input.filters;
  return layout(
    'Audit log',
    input.csrf,
    html`<h1>Audit log</h1>
      <form method="get" action="/console/audit" class="filters">
        <label
          >Action starts with
          <input name="action" value="${f.action ?? ''}" placeholder="service." autocomplete="off"
        /></label>
        <label
          >Actor contains <input name="actor" value="${f.actor ?? ''}" autocomplete="off"
        /></label>
        <label
          >Connection <input name="connection" value="${f.connection ?? ''}" autocomplete="off"
        /></label>
        <button type="submit">Filter</button>
      </form>
      ${table(
        ['When', 'Actor', 'Action', 'Connection', 'Outcome'],
        input.events.rows.map(
          (e) =>
            html`<tr>
              <td>${when(e.at)}</td>
              <td>${e.actor_type}${e.actor_id ? html` <code>${e.actor_id}</code>` : ''}</td>
              <td><code>${e.action}</code></td>
              <td>
                ${
                  e.connection_id
                    ? html`<a href="/console/connections/${e.connection_id}">${e.connection_id}</a>`
                    : '—'
                }
              </td>
              <td>${badge(e.outcome)}</td>
            </tr>`,
        ),
        'No audit events match.',
      )}
      ${pager('/console/audit', { ...f }, input.events)}`,
    '/console/audit',
  );
}

/** Webhook deliveries with status, endpoint and event type filters. */
export function deliveriesPage(input: {
  csrf: string;
  filters: ConsoleDeliveryFilters;
  deliveries: NumberedPage<ConsoleDelivery>;
  notice?: string;
}): string {
  const f = input.filters;
  return layout(
    'Deliveries',
    input.csrf,
    html`<h1>Webhook deliveries</h1>
      ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
      <form method="get" action="/console/deliveries" class="filters">
        <label
          >Status
          <select name="status">
            <option value="">any</option>
            ${DELIVERY_STATUSES.map(
              (s) =>
                html`<option value="${s}" ${f.status === s ? html`selected` : ''}>${s}</option>`,
            )}
          </select></label
        >
        <label
          >Event type starts with
          <input name="type" value="${f.type ?? ''}" placeholder="connection." autocomplete="off"
        /></label>
        <label
          >Endpoint <input name="endpoint" value="${f.endpoint ?? ''}" autocomplete="off"
        /></label>
        <button type="submit">Filter</button>
      </form>
      ${table(
        ['Created', 'Event', 'Endpoint', 'Status', 'Attempts', 'Last answer', 'Next attempt', ''],
        input.deliveries.rows.map(
          (d) =>
            html`<tr>
              <td>${when(d.createdAt)}</td>
              <td><code>${d.event.type}</code></td>
              <td><code>${d.endpointId}</code></td>
              <td>${badge(d.status)}</td>
              <td>${d.attempts}</td>
              <td>${d.lastStatusCode ?? d.lastError ?? '—'}</td>
              <td>${d.status === 'pending' ? when(d.nextAttemptAt) : '—'}</td>
              <td>
                <form class="inline" method="post" action="/console/deliveries/${d.id}/replay">
                  ${csrfField(input.csrf)}
                  <button type="submit" aria-label="Replay delivery ${d.id}">Replay</button>
                </form>
              </td>
            </tr>`,
        ),
        'No deliveries match.',
      )}
      ${pager('/console/deliveries', { ...f }, input.deliveries)}`,
    '/console/deliveries',
  );
}

/**
 * A console error page (404 and the rest) with the console's navigation, so there is
 * always a way on. Unsigned: it carries no form, and every link asks for a session.
 */
export function consoleErrorPage(input: {
  title: string;
  description: string;
  code: string;
}): string {
  return page(
    input.title,
    html`<header class="console">${consoleNav()}</header>
      <h1>${input.title}</h1>
      <div class="error" role="alert">
        <p>${input.description}</p>
        <p>Error code: <code>${input.code}</code></p>
      </div>
      <p><a href="/console/overview">Back to the overview</a></p>`,
  );
}
