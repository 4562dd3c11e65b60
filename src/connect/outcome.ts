/** A cookie the browser flow sets (binding, CSRF) or clears. */
export interface FlowCookie {
  name: string;
  value: string;
  /** Seconds; 0 clears it. */
  maxAge: number;
  /** `/oauth/callback` for a flow's binding, `/connect` for the CSRF cookie. */
  path: string;
}

interface Common {
  cookies?: FlowCookie[];
  /**
   * A page or redirect of a popup flow: it must keep `window.opener` (no COOP
   * `same-origin`), and its ending page runs the broker's own `/connect/popup.js`.
   */
  popup?: boolean;
  /**
   * Origins the page's forms may end up at besides the broker: browsers apply CSP
   * `form-action` to the redirect after a submit too (the provider, `return_to`).
   */
  formTargets?: string[];
}

/** How a browser-flow step ends: a redirect or an HTML page, maybe with cookies. */
export type FlowOutcome =
  | ({ kind: 'redirect'; location: string } & Common)
  | ({ kind: 'page'; status: number; html: string } & Common);
