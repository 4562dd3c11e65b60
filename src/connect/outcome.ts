/** A cookie the browser flow sets (binding) or clears. */
export interface FlowCookie {
  name: string;
  value: string;
  /** Seconds; 0 clears it. */
  maxAge: number;
}

/** How a browser-flow step ends: a redirect or an HTML page, maybe with a cookie. */
export type FlowOutcome =
  | { kind: 'redirect'; location: string; cookie?: FlowCookie }
  | { kind: 'page'; status: number; html: string; cookie?: FlowCookie };
