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
  connectionConfig: Record<string, string> = {},
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
  // A per-connection placeholder an inbound webhook names its account by (Shopify `shop`).
  for (const { metadata } of t.webhook?.accounts ?? []) {
    const value = connectionConfig[metadata];
    if (value !== undefined && scalar(value)) kept[metadata] = value;
  }
  return kept;
}

const ACCOUNT_TIMEOUT_MS = 5_000;

/**
 * The account ids a template reads from its `accountEndpoint` with the new access token
 * (GitHub `GET /user` → `user.id`), for matching inbound webhooks to the connection.
 * Best effort: any failure is logged and keeps nothing, never failing the connect.
 *
 * @example await accountMetadata(provider, tokens.accessToken, config, logger) // { 'user.id': 583231 }
 */
export async function accountMetadata(
  p: ProviderRecord,
  accessToken: string,
  connectionConfig: Record<string, string>,
  logger: { warn(fields: object, msg: string): void },
): Promise<ConnectionMetadata> {
  const endpoint = p.template ? findTemplate(p.template)?.accountEndpoint : undefined;
  if (!endpoint) return {};
  const values: Record<string, string> = { ...p.config, ...connectionConfig };
  const url = endpoint.url.replace(
    /\{([a-z_][a-z0-9_]*)\}/g,
    (m, name: string) => values[name] ?? m,
  );
  try {
    const res = await fetch(url, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json',
        'user-agent': 'token-broker',
      },
      redirect: 'error',
      signal: AbortSignal.timeout(ACCOUNT_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`status ${res.status}`);
    const body = (await res.json()) as Record<string, unknown>;
    const kept: ConnectionMetadata = {};
    for (const [path, key] of Object.entries(endpoint.fields)) {
      const value = at(body, path);
      if (scalar(value)) kept[key] = value;
    }
    return kept;
  } catch (error) {
    logger.warn(
      { provider: p.key, err: (error as Error).message },
      'account endpoint failed; webhook attribution may miss this connection',
    );
    return {};
  }
}
