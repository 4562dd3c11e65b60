import { html, type SafeHtml } from './html.js';

export interface CardPageOptions {
  /** Scripts of the broker's own origin (the popup's ending page); none otherwise. */
  scripts?: string[];
}

/**
 * An end-user page: one centred card on the broker's stylesheet, readable from a 390 px
 * phone up, with the "Secured by Token Broker" footer. No inline script or style.
 *
 * @example res.send(cardPage('Connect GitHub', html`<h1>…</h1>`))
 */
export function cardPage(title: string, body: SafeHtml, options: CardPageOptions = {}): string {
  const scripts = (options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        <link rel="stylesheet" href="/assets/broker.css" />
        ${scripts}
      </head>
      <body>
        <div class="shell">
          <main class="card">${body}</main>
          <p class="footer">Secured by Token Broker</p>
        </div>
      </body>
    </html>`.value;
}

/** The first letter of a name, as the badge standing for it. */
export const initial = (name: string) => (name.trim()[0] ?? '?').toUpperCase();
