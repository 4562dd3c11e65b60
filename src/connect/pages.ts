import { html, type SafeHtml } from '../views/html.js';
import { cardPage, initial } from '../views/layout.js';
import type { Display } from './schema.js';

/** Who is connecting to what, as the end user should read it. */
export interface PageContext {
  /** The service's `display_name`, else its `name`. */
  appName: string;
  providerName?: string | undefined;
  returnTo: string | null;
  display: Display;
}

/** The static credentials a provider takes, and how to ask for them. */
export interface CredentialForm {
  mode: 'api_key' | 'basic';
  label: string;
  hint: string | undefined;
}

const marks = (app: string, provider: string | undefined, end?: 'ok' | 'bad') =>
  html`<div class="brand-pair" aria-hidden="true">
    <span class="mark">${initial(app)}</span>
    ${
      provider
        ? html`<span class="joiner">⇄</span><span class="mark provider">${initial(provider)}</span>`
        : ''
    }
    ${end ? html`<span class="mark ${end}">${end === 'ok' ? '✓' : '!'}</span>` : ''}
  </div>`;

const hidden = (name: string, value: string) =>
  html`<input type="hidden" name="${name}" value="${value}" />`;

/** The fields every form of the connect page posts. */
const formBase = (csrf: string, display: Display, provider: string | undefined) =>
  html`${hidden('csrf', csrf)}${display === 'popup' ? hidden('display', 'popup') : ''}${
    provider ? hidden('provider', provider) : ''
  }`;

/** Continue first in the document (Enter submits it), shown on the right. */
const actions = (continueLabel: string) =>
  html`<div class="actions">
    <button class="primary" type="submit" name="action" value="continue">${continueLabel}</button>
    <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
  </div>`;

/**
 * The consent page (`GET /connect/{token}`): who asks, for which provider and scopes,
 * Continue and Cancel. Nothing is spent until the form is posted.
 */
export function consentPage(p: {
  ctx: PageContext;
  action: string;
  csrf: string;
  providerKey: string;
  scopes: string[];
  reconnect: boolean;
}): string {
  const { appName, providerName = p.providerKey } = p.ctx;
  const heading = p.reconnect
    ? html`Reconnect ${providerName} to ${appName}`
    : html`Connect ${providerName} to ${appName}`;
  const scopes =
    p.scopes.length > 0
      ? html`<h2 id="scopes">${appName} asks for</h2>
          <ul class="scopes" aria-labelledby="scopes">
            ${p.scopes.map((s) => html`<li><code>${s}</code></li>`)}
          </ul>`
      : html`<p>${appName} asks for the access ${providerName} grants by default.</p>`;
  return cardPage(
    `${p.reconnect ? 'Reconnect' : 'Connect'} ${providerName}`,
    html`${marks(appName, providerName)}
      <h1>${heading}</h1>
      <p class="lead">
        ${appName} wants to use your ${providerName} account. You will sign in at ${providerName},
        never here.
      </p>
      ${scopes}
      <form method="post" action="${p.action}">
        ${formBase(p.csrf, p.ctx.display, p.providerKey)} ${actions(`Continue to ${providerName}`)}
      </form>
      <p class="fine">
        Only continue if you started this from ${appName} yourself. If someone sent you this link,
        press Cancel.
      </p>`,
  );
}

/** A session minted without `provider`: the service's providers to choose from (links, no JS). */
export function pickerPage(p: {
  ctx: PageContext;
  action: string;
  csrf: string;
  providers: { key: string; name: string }[];
}): string {
  const query = (key: string) =>
    `?provider=${encodeURIComponent(key)}${p.ctx.display === 'popup' ? '&display=popup' : ''}`;
  return cardPage(
    `Connect an account to ${p.ctx.appName}`,
    html`${marks(p.ctx.appName, undefined)}
      <h1>Connect an account to ${p.ctx.appName}</h1>
      <p class="lead">Choose the service you want to connect.</p>
      <ul class="choices">
        ${p.providers.map(
          (x) =>
            html`<li>
              <a href="${query(x.key)}"
                ><span class="mark provider" aria-hidden="true">${initial(x.name)}</span
                >${x.name}</a
              >
            </li>`,
        )}
      </ul>
      <form method="post" action="${p.action}">
        ${formBase(p.csrf, p.ctx.display, undefined)}
        <div class="actions">
          <button type="submit" name="action" value="cancel">Cancel</button>
        </div>
      </form>`,
  );
}

/**
 * The form for static credentials (API key, or user name and password): the secret goes
 * from the user to the broker only. On an error it comes back empty, with the reason.
 */
export function credentialsPage(p: {
  ctx: PageContext;
  action: string;
  csrf: string;
  providerKey: string;
  form: CredentialForm;
  error?: string | undefined;
}): string {
  const { appName, providerName = p.providerKey } = p.ctx;
  const hint = p.form.hint ? html`<p class="hint" id="secret-hint">${p.form.hint}</p>` : '';
  const describedBy = p.form.hint ? 'secret-hint' : undefined;
  const fields =
    p.form.mode === 'basic'
      ? html`<div class="field">
            <label for="username">User name</label>
            <input
              id="username"
              name="username"
              autocomplete="username"
              required
              maxlength="1024"
            />
          </div>
          <div class="field">
            <label for="password">${p.form.label}</label>
            ${hint}
            <input
              id="password"
              name="password"
              type="password"
              autocomplete="current-password"
              required
              maxlength="8192"
              aria-describedby="${describedBy ?? ''}"
            />
          </div>`
      : html`<div class="field">
          <label for="api_key">${p.form.label}</label>
          ${hint}
          <input
            id="api_key"
            name="api_key"
            type="password"
            autocomplete="off"
            spellcheck="false"
            required
            maxlength="8192"
            aria-describedby="${describedBy ?? ''}"
          />
        </div>`;
  return cardPage(
    `Connect ${providerName}`,
    html`${marks(appName, providerName)}
      <h1>Connect ${providerName} to ${appName}</h1>
      <p class="lead">
        Enter your ${providerName} credentials. They go to Token Broker, which keeps them encrypted
        for ${appName}; ${appName} itself never sees them.
      </p>
      ${p.error ? html`<div class="alert" role="alert">${p.error}</div>` : ''}
      <form method="post" action="${p.action}" autocomplete="off">
        ${formBase(p.csrf, p.ctx.display, p.providerKey)} ${fields} ${actions('Connect')}
      </form>`,
  );
}

/** A link back to the app (`return_to`), with the outcome the app should read. */
export interface BackLink {
  href: string;
  label: string;
}

/** Any page that ends or stops the flow: plain words first, never an error code as headline. */
export function messagePage(p: {
  title: string;
  heading: string | SafeHtml;
  message: string | SafeHtml;
  ctx: Partial<PageContext>;
  tone: 'ok' | 'bad';
  back?: BackLink | undefined;
  detail?: string | undefined;
}): string {
  const appName = p.ctx.appName;
  return cardPage(
    p.title,
    html`${appName ? marks(appName, p.ctx.providerName, p.tone) : marks('!', undefined)}
      <h1>${p.heading}</h1>
      <p class="lead" ${p.tone === 'ok' ? html`role="status"` : html`role="alert"`}>${p.message}</p>
      ${
        p.back
          ? html`<div class="actions">
              <a class="btn primary" href="${p.back.href}">${p.back.label}</a>
            </div>`
          : html`<p class="fine">You can close this window.</p>`
      }
      ${p.detail ? html`<p class="fine">Reference: <code>${p.detail}</code></p>` : ''}`,
  );
}

/**
 * The end of a popup flow: `/connect/popup.js` posts `result` to `window.opener`, only to
 * `targetOrigin` (the `return_to` origin), and closes the window. Without JS, or without an
 * opener, the page stays and says what happened.
 */
export function popupEndPage(p: {
  ctx: PageContext;
  result: Record<string, string>;
  targetOrigin: string;
  ok: boolean;
}): string {
  const { appName, providerName } = p.ctx;
  const heading = p.ok
    ? html`${providerName ?? 'Your account'} is connected`
    : html`The connection did not finish`;
  return cardPage(
    p.ok ? 'Connected' : 'Not connected',
    html`${marks(appName, providerName, p.ok ? 'ok' : 'bad')}
      <h1>${heading}</h1>
      <p class="lead" role="status">You can close this window and return to ${appName}.</p>
      <div
        id="popup-result"
        hidden
        data-result="${JSON.stringify(p.result)}"
        data-target-origin="${p.targetOrigin}"
      ></div>`,
    { scripts: ['/connect/popup.js'] },
  );
}
