import { html, page } from '../views/html.js';

/** Who is connecting to what, when the broker knows it. */
export interface FlowContext {
  providerName: string | undefined;
  appName: string | undefined;
}

/** A failed consent flow: what happened, which provider and app, what to do now. */
export function flowErrorPage(ctx: FlowContext, message: string, code: string): string {
  const heading =
    ctx.providerName && ctx.appName
      ? html`Could not connect ${ctx.providerName} to ${ctx.appName}`
      : ctx.providerName
        ? html`Could not connect ${ctx.providerName}`
        : html`This connect link cannot be used`;
  return page(
    'Connection failed',
    html`<h1>${heading}</h1>
      <div class="error" role="alert">
        <p>${message}</p>
        <p>Error code: <code>${code}</code></p>
      </div>
      <p>
        Nothing was changed. Go back to ${ctx.appName ?? 'the application'} and start the connection
        again.
      </p>`,
  );
}

/** The end of a successful flow when the session had no `return_to`. */
export function flowSuccessPage(ctx: { providerName: string; appName: string }): string {
  return page(
    'Connected',
    html`<h1>${ctx.providerName} is connected to ${ctx.appName}</h1>
      <p role="status">
        Your ${ctx.providerName} account is now connected. You can close this window and return to
        ${ctx.appName}.
      </p>`,
  );
}
