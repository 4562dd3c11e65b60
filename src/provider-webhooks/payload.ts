import type { InboundRequest, WebhookScheme } from './types.js';

const isForm = (req: InboundRequest) =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/** A form body as an object; Slack's interactive `payload` field is JSON inside it. */
function parseForm(body: string): Record<string, unknown> {
  const form: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body));
  if (typeof form.payload === 'string') {
    try {
      form.payload = JSON.parse(form.payload) as unknown;
    } catch {
      // Kept as text: the app sees what Slack sent.
    }
  }
  return form;
}

/**
 * The body as the app gets it in `payload`: parsed JSON (or a form, where the scheme
 * allows one); undefined when the body is not what the scheme expects.
 */
export function parsePayload(
  scheme: WebhookScheme,
  req: InboundRequest,
): { value: unknown } | undefined {
  const text = req.body.toString('utf8');
  if (scheme.body === 'json_or_form' && isForm(req)) return { value: parseForm(text) };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
