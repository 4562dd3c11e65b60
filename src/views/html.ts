const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Tagged template that escapes every interpolation unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

/** @example html`<p>${userText}</p>` */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((x) => (x instanceof SafeHtml ? x.value : escapeHtml(x))).join('')
      : v instanceof SafeHtml
        ? v.value
        : escapeHtml(v ?? '');
    out += rendered + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * A complete, accessible page using only the broker's own stylesheet and, where given, its
 * own scripts (no inline script or style, so the strict CSP holds).
 */
export function page(title: string, body: SafeHtml, scripts: readonly string[] = []): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Token Broker</title>
        <link rel="stylesheet" href="/assets/broker.css" />
        ${scripts.map((src) => html`<script src="${src}" defer></script>`)}
      </head>
      <body class="console">
        <main>${body}</main>
      </body>
    </html>`.value;
}
