import { forConnection } from '../providers/metadata.js';
import type { ProviderRecord } from '../providers/types.js';
import { credentialForm } from './credentials.js';
import {
  csrfCookie,
  csrfToken,
  pageContext,
  stopPage,
  usableSession,
  type LinkSession,
} from './link.js';
import type { FlowOutcome } from './outcome.js';
import { consentPage, credentialsPage, pickerPage, type PageContext } from './pages.js';
import type { Display } from './schema.js';
import { effectiveScopes, type FlowDeps } from './start.js';

/**
 * The provider the flow is for: the session's own, or (picker) the one the user chose,
 * which must be one of the service's allowed providers and registered.
 */
export async function chosenProvider(
  deps: FlowDeps,
  s: LinkSession,
  ctx: PageContext,
  picked: string | undefined,
): Promise<{ record: ProviderRecord; ctx: PageContext } | FlowOutcome> {
  const key = s.providerKey ?? picked;
  const allowed =
    key !== undefined && (s.providerKey !== null || s.service.allowedProviders.includes(key));
  const record = allowed ? await deps.providers.get(key) : undefined;
  if (!record) {
    return stopPage(ctx, s.providerKey ? 404 : 400, {
      title: 'Not available',
      heading: s.providerKey
        ? 'This service is no longer available'
        : 'That choice is not available',
      message: s.providerKey
        ? `${ctx.appName} can no longer connect to it. Go back to ${ctx.appName} for help.`
        : `${ctx.appName} does not connect to that service. Go back and choose one from the list.`,
      error: 'invalid_request',
    });
  }
  return { record, ctx: await pageContext(deps, s, ctx.display, record.key) };
}

const originOf = (url: unknown) => {
  try {
    return typeof url === 'string' ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};

/** Where the page's form posts may redirect: the provider's authorization endpoint, return_to. */
export function formTargets(s: LinkSession, record: ProviderRecord | undefined): string[] {
  const provider =
    record && record.authMode === 'oauth2'
      ? forConnection(record, s.connectionConfig as Record<string, string>).metadata
          .authorization_endpoint
      : undefined;
  return [originOf(provider), originOf(s.returnTo)].filter((o): o is string => o !== undefined);
}

/**
 * `GET /connect/{token}` (and `?provider=` from the picker): the connect page. Reading it
 * never spends the session, so link scanners do not burn it and the user sees what they
 * are about to grant. Sets this browser's CSRF cookie when it has none.
 */
export async function showConnectPage(
  deps: FlowDeps,
  token: string,
  query: { provider?: string | undefined; display: Display },
  cookies: Record<string, string | undefined>,
): Promise<FlowOutcome> {
  const found = await usableSession(deps, token, query.display);
  if ('kind' in found) return found;
  const { session } = found;
  const cookie = csrfCookie(cookies);
  const withCookie = (html: string, record?: ProviderRecord): FlowOutcome => ({
    kind: 'page',
    status: 200,
    html,
    popup: query.display === 'popup',
    formTargets: formTargets(session, record),
    ...(cookie.set ? { cookies: [cookie.set] } : {}),
  });
  const csrf = csrfToken(deps.csrfSecret, cookie.value, session.id);
  const action = `/connect/${token}`;
  if (!session.providerKey && query.provider === undefined) {
    const records = await Promise.all(
      session.service.allowedProviders.map((key) => deps.providers.get(key)),
    );
    const providers = records
      .filter((r): r is ProviderRecord => r !== undefined)
      .map((r) => ({ key: r.key, name: r.displayName }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return withCookie(pickerPage({ ctx: found.ctx, action, csrf, providers }));
  }
  const chosen = await chosenProvider(deps, session, found.ctx, query.provider);
  if ('kind' in chosen) return chosen;
  const { record, ctx } = chosen;
  if (record.authMode !== 'oauth2') {
    const form = credentialForm(record);
    return withCookie(
      credentialsPage({ ctx, action, csrf, providerKey: record.key, form }),
      record,
    );
  }
  const scopes = effectiveScopes(session, record);
  return withCookie(
    consentPage({
      ctx,
      action,
      csrf,
      providerKey: record.key,
      scopes,
      reconnect: session.connectionId !== null,
    }),
    record,
  );
}
