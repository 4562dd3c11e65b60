import { z } from 'zod';
import type { Container } from '../../container.js';
import { PROVIDER_KEY } from '../../providers/provider-key.js';
import type { ProviderRow } from '../../providers/registry.js';
import { providerBody, providerUpdateBody } from '../../providers/schema.js';
import { TEMPLATES, type ProviderTemplate } from '../../providers/templates/index.js';
import { requireAdmin } from '../middleware/admin-auth.js';
import type { RouteTable } from '../router.js';
import { parse } from '../validate.js';

const providerKey = z.object({ key: z.string().regex(PROVIDER_KEY, 'must be a provider key') });

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

const fromCursor = (cursor: string | undefined) =>
  cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
const toCursor = (key: string | undefined) =>
  key === undefined ? null : Buffer.from(key, 'utf8').toString('base64url');

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** A provider as the admin API shows it: the body it was created from, never a secret. */
export function presentProvider(p: ProviderRow, publicUrl: string) {
  const m = p.metadata as Record<string, unknown>;
  return {
    key: p.key,
    display_name: p.displayName,
    template: p.template,
    auth_mode: p.authMode,
    issuer: p.issuer,
    authorization_endpoint: str(m.authorization_endpoint),
    token_endpoint: str(m.token_endpoint),
    revocation_endpoint: str(m.revocation_endpoint),
    client_id: p.clientId,
    client_auth_method: p.clientAuthMethod,
    has_client_secret: p.clientSecret !== null,
    has_client_key: p.clientKey !== null,
    scopes: p.scopes,
    scope_separator: p.scopeSeparator,
    authorization_params: p.authorizationParams,
    token_params: p.tokenParams,
    config: p.config,
    oidc: typeof m.jwks_uri === 'string',
    pushed_authorization_requests: typeof m.pushed_authorization_request_endpoint === 'string',
    redirect_uri: `${publicUrl}/oauth/callback`,
    metadata_fetched_at: iso(p.metadataFetchedAt),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

/** A catalog entry of `GET /admin/providers/templates`. */
export const presentTemplate = (t: ProviderTemplate) => ({
  template: t.template,
  display_name: t.displayName,
  docs_url: t.docsUrl,
  issuer: t.issuer ?? null,
  authorization_endpoint: t.authorizationEndpoint,
  token_endpoint: t.tokenEndpoint,
  revocation_endpoint: t.revocationEndpoint ?? null,
  scopes: t.scopes,
  scope_separator: t.scopeSeparator,
  client_auth_method: t.clientAuthMethod,
  authorization_params: t.authorizationParams,
  token_params: t.tokenParams,
  device_authorization_endpoint: t.deviceAuthorizationEndpoint ?? null,
  scope_parameter: t.scopeParameter ?? 'scope',
  tokens_expire: t.tokensExpire,
  rotates_refresh_tokens: t.rotatesRefreshTokens,
  token_path: t.tokenPath ?? null,
  token_response_fields: t.tokenResponseFields ?? [],
  callback_params: t.callbackParams ?? [],
  grant_types: ['authorization_code', ...(t.grants ?? [])],
  notes: t.notes ?? null,
  placeholders: t.placeholders.map((p) => ({
    name: p.name,
    level: p.level,
    description: p.description,
    default: p.default ?? null,
    pattern: p.pattern.source,
  })),
});

/** `/admin/providers` and `/admin/providers/templates` (registered before `/:key`). */
export function registerProviderRoutes(routes: RouteTable, c: Container): void {
  const admin = requireAdmin(c.config.adminApiToken);
  const present = (p: ProviderRow) => presentProvider(p, c.config.publicUrl);

  routes.add('GET', '/admin/providers/templates', admin, (_req, res) => {
    res.json({ data: [...TEMPLATES.values()].map(presentTemplate) });
  });

  routes.add('POST', '/admin/providers', admin, async (req, res) => {
    const row = await c.providerRegistry.create(parse(providerBody, req.body));
    res.status(201).json(present(row));
  });

  routes.add('GET', '/admin/providers', admin, async (req, res) => {
    const q = parse(listQuery, req.query);
    const page = await c.providerRegistry.list(q.limit, fromCursor(q.cursor));
    res.json({ data: page.rows.map(present), next_cursor: toCursor(page.next) });
  });

  routes.add('GET', '/admin/providers/:key', admin, async (req, res) => {
    res.json(present(await c.providerRegistry.get(parse(providerKey, req.params).key)));
  });

  routes.add('PUT', '/admin/providers/:key', admin, async (req, res) => {
    const { key } = parse(providerKey, req.params);
    res.json(present(await c.providerRegistry.update(key, parse(providerUpdateBody, req.body))));
  });

  routes.add('DELETE', '/admin/providers/:key', admin, async (req, res) => {
    await c.providerRegistry.remove(parse(providerKey, req.params).key);
    res.status(204).end();
  });
}
