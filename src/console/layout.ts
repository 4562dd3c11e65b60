import { html, page, type SafeHtml } from '../views/html.js';
import type { NumberedPage } from './queries.js';

/** The console's sections, in the navigation's order. */
const SECTIONS = [
  ['/console/overview', 'Overview'],
  ['/console/connections', 'Connections'],
  ['/console/providers', 'Providers'],
  ['/console/services', 'Services'],
  ['/console/webhooks', 'Webhooks'],
  ['/console/deliveries', 'Deliveries'],
  ['/console/audit', 'Audit log'],
] as const;

/** Hidden CSRF field of every console form. */
export const csrfField = (csrf: string) =>
  html`<input type="hidden" name="csrf" value="${csrf}" />`;

/** The navigation bar; `current` is the path of the section shown. */
export const consoleNav = (current = '') =>
  html`<nav aria-label="Console">
    <a class="brand" href="/console/overview">Token Broker</a>
    ${SECTIONS.map(
      ([href, label]) =>
        html`<a href="${href}" ${current.startsWith(href) ? html`aria-current="page"` : ''}
          >${label}</a
        >`,
    )}
  </nav>`;

const MINUTE = 60_000;

/** "5 min ago", "in 3 h", "2 d ago": how far an instant is from now. */
export function relative(at: Date, now = Date.now()): string {
  const diff = at.getTime() - now;
  const abs = Math.abs(diff);
  const [n, unit] =
    abs < MINUTE
      ? [0, 'now']
      : abs < 45 * MINUTE
        ? [Math.round(abs / MINUTE), 'min']
        : abs < 36 * 60 * MINUTE
          ? [Math.round(abs / (60 * MINUTE)), 'h']
          : [Math.round(abs / (24 * 60 * MINUTE)), 'd'];
  if (unit === 'now') return 'just now';
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** An instant as `2026-12-02 18:04:05 UTC` with its relative time; `—` for none. */
export function when(value: string | Date | null): SafeHtml {
  if (value === null) return html`—`;
  const at = typeof value === 'string' ? new Date(value) : value;
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>
    <span class="rel">(${relative(at)})</span>`;
}

export const badge = (status: string) => html`<span class="badge ${status}">${status}</span>`;

/** The console's one script: the copy buttons of `copyBox` (served from `/assets/`). */
export const CONSOLE_SCRIPT = '/assets/console.js';

/** A signed-in page: navigation, sign-out, then the body; `copy` loads the copy buttons' script. */
export function layout(
  title: string,
  csrf: string,
  body: SafeHtml,
  current = '',
  options: { copy?: boolean } = {},
): string {
  return page(
    title,
    html`<header class="console">
        ${consoleNav(current)}
        <form class="inline" method="post" action="/console/sign-out">
          ${csrfField(csrf)}<button type="submit">Sign out</button>
        </form>
      </header>
      ${body}`,
    options.copy ? [CONSOLE_SCRIPT] : [],
  );
}

/** "21–40 of 133" with previous and next links keeping the list's filters. */
export function pager(
  path: string,
  filters: Record<string, string | undefined>,
  p: NumberedPage<unknown>,
): SafeHtml {
  const link = (n: number) => {
    const q = new URLSearchParams(
      Object.entries({ ...filters, page: String(n) }).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
      ),
    );
    return `${path}?${q.toString()}`;
  };
  const first = p.total === 0 ? 0 : (p.page - 1) * p.pageSize + 1;
  const last = Math.min(p.total, p.page * p.pageSize);
  return html`<nav class="pager" aria-label="Pages">
    ${p.page > 1 ? html`<a href="${link(p.page - 1)}" rel="prev">← Previous</a>` : ''}
    <span>${first}–${last} of ${p.total}</span>
    ${last < p.total ? html`<a href="${link(p.page + 1)}" rel="next">Next →</a>` : ''}
  </nav>`;
}

/** A table that scrolls sideways on a phone instead of widening the page. */
export const table = (head: string[], rows: SafeHtml[], empty: string) =>
  rows.length === 0
    ? html`<p>${empty}</p>`
    : html`<div class="scroll">
        <table>
          <thead>
            <tr>
              ${head.map((h) => html`<th scope="col">${h}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>
      </div>`;
