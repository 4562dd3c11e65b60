import type { ProviderRecord } from './types.js';
import { findTemplate } from './templates/index.js';

/** Connection metadata values: short scalars only, never objects (a nested token could hide there). */
export type ConnectionMetadata = Record<string, string | number | boolean>;

const MAX_VALUE_LENGTH = 2048;

function at(body: Record<string, unknown>, path: string): unknown {
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const scalar = (v: unknown): v is string | number | boolean =>
  (typeof v === 'string' && v.length <= MAX_VALUE_LENGTH) ||
  typeof v === 'number' ||
  typeof v === 'boolean';

/**
 * The non-secret extras a provider's template says to keep from a token response
 * (`tokenResponseFields`, e.g. Salesforce `instance_url`, Slack `team.id`) and from the
 * callback query (`callbackParams`, e.g. QuickBooks `realmId`), keyed by their path.
 *
 * @example
 * connectionMetadata(provider, tokens.response, callbackQuery) // { instance_url: 'https://…', realmId: '123' }
 */
export function connectionMetadata(
  p: ProviderRecord,
  response: Record<string, unknown> | undefined,
  query?: URLSearchParams,
): ConnectionMetadata {
  const t = p.template ? findTemplate(p.template) : undefined;
  const kept: ConnectionMetadata = {};
  if (!t) return kept;
  for (const path of t.tokenResponseFields ?? []) {
    const value = response && at(response, path);
    if (scalar(value)) kept[path] = value;
  }
  for (const name of t.callbackParams ?? []) {
    const value = query?.get(name);
    if (value !== null && value !== undefined && scalar(value)) kept[name] = value;
  }
  return kept;
}
