import type { AuditOrigin } from '../audit/audit-log.js';
import * as client from 'openid-client';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../ids.js';
import type { Logger } from '../observability/logger.js';
import { forConnection, redirectUriOf } from '../providers/metadata.js';
import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { ProviderRecord } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderStore } from '../providers/store.js';
import { findTemplate } from '../providers/templates/index.js';
import type { Keyring } from '../vault/keyring.js';
import { STATIC_TOKEN_TYPES } from '../static-credentials/token-types.js';
import { checkCredentials, credentialForm, type StaticSecret } from './credentials.js';
import { ending, grantArrived } from './ending.js';
import { csrfValid, stopPage, usableSession, type LinkSession } from './link.js';
import { connectFlows } from './metrics.js';
import type { FlowOutcome } from './outcome.js';
import { credentialsPage, type PageContext } from './pages.js';
import { chosenProvider, formTargets } from './page.js';
import type { ConnectForm } from './schema.js';
import { flowCookieName, randomToken, sha256 } from './secrets.js';

/** How long the user has at the provider between `/connect` and `/oauth/callback`. */
export const FLOW_TTL_MS = 10 * 60 * 1000;

export interface FlowDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  providers: ProviderStore;
  registry: ProviderRegistry;
  oauth: ProviderOAuth;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  publicUrl: string;
  refreshWindowSeconds: number;
  refreshKeepAliveDays: number;
  /** Keys the connect page's CSRF tokens (shared by every replica). */
  csrfSecret: string;
}

/** The scopes asked: the session's, or (a picked provider) the provider's defaults. */
export const effectiveScopes = (s: { scopes: string[] }, p: { scopes: string[] }) =>
  s.scopes.length > 0 ? s.scopes : p.scopes;

/** Where the scopes go: `scope`, or the template's own parameter (Slack user tokens: `user_scope`). */
const scopeParameter = (p: ProviderRecord) =>
  (p.template ? findTemplate(p.template)?.scopeParameter : undefined) ?? 'scope';

/**
 * Spends the session for this provider (single use) and records how the flow ends. False
 * when another request spent it first (a double submit).
 */
async function spend(
  deps: FlowDeps,
  s: LinkSession,
  providerKey: string,
  form: ConnectForm,
  scopes = s.scopes,
) {
  const now = deps.clock.now();
  const spent = await deps.prisma.connectSession.updateMany({
    where: { id: s.id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now, providerKey, display: form.display, scopes },
  });
  return spent.count > 0;
}

/** The page a second submit (or any lost race) gets: what became of the link. */
async function spentMeanwhile(deps: FlowDeps, token: string, form: ConnectForm) {
  const again = await usableSession(deps, token, form.display);
  return 'kind' in again
    ? again
    : stopPage(again.ctx, 409, {
        title: 'Please try again',
        heading: 'Something changed meanwhile',
        message: 'Reload the page and try again.',
        error: 'access_denied',
      });
}

/** The provider could not be reached to start (PAR failed): tell the app or the user. */
function cannotStart(ctx: PageContext): FlowOutcome {
  return ending(ctx, { status: 'error', error: 'upstream_unavailable' });
}

/** Stores the flow's state, PKCE verifier (encrypted) and nonce; redirects to the provider. */
async function toProvider(
  deps: FlowDeps,
  s: LinkSession,
  ctx: PageContext,
  record: ProviderRecord,
): Promise<FlowOutcome> {
  const provider = forConnection(record, s.connectionConfig as Record<string, string>);
  const scopes = effectiveScopes(s, provider);
  const state = client.randomState();
  const verifier = client.randomPKCECodeVerifier();
  const nonce = scopes.includes('openid') ? client.randomNonce() : undefined;
  const binding = randomToken();
  const id = newId('flow');
  const now = deps.clock.now();
  await deps.prisma.oAuthFlow.create({
    data: {
      id,
      stateHash: sha256(state),
      connectSessionId: s.id,
      browserHash: sha256(binding),
      keyId: deps.keyring.currentKid,
      codeVerifier: deps.keyring.encrypt(verifier, {
        table: 'oauth_flows',
        id,
        field: 'code_verifier',
      }),
      nonce: nonce ?? null,
      expiresAt: new Date(now.getTime() + FLOW_TTL_MS),
    },
  });
  try {
    const url = await deps.oauth.authorizationUrl(provider, {
      ...provider.authorizationParams,
      response_type: 'code',
      redirect_uri: redirectUriOf(deps.publicUrl, provider),
      ...(scopes.length > 0
        ? { [scopeParameter(provider)]: scopes.join(provider.scopeSeparator) }
        : {}),
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
    });
    connectFlows.inc({ provider: provider.key, outcome: 'started' });
    const cookie = {
      name: flowCookieName(state),
      value: binding,
      maxAge: FLOW_TTL_MS / 1000,
      path: '/oauth/callback',
    };
    return {
      kind: 'redirect',
      location: url.href,
      cookies: [cookie],
      popup: ctx.display === 'popup',
    };
  } catch (error) {
    await deps.prisma.oAuthFlow.delete({ where: { id } });
    connectFlows.inc({ provider: provider.key, outcome: 'failed' });
    const { name, errorClass } = error as { name?: string; errorClass?: string };
    deps.logger.warn(
      { provider: provider.key, err: name, error_class: errorClass },
      'consent flow could not start',
    );
    return cannotStart(ctx);
  }
}

const staticTokens = (secret: StaticSecret) => ({
  accessToken:
    secret.type === 'api_key'
      ? secret.apiKey
      : Buffer.from(`${secret.username}:${secret.password}`, 'utf8').toString('base64'),
  refreshToken: undefined,
  idToken: undefined,
  tokenType: STATIC_TOKEN_TYPES[secret.type],
  expiresIn: undefined,
  scope: undefined,
});

/**
 * `POST /connect/{token}`: the connect page's Continue, Cancel and static-credential form.
 * Checks the CSRF token (bound to this browser's cookie) before anything is spent, then
 * spends the session once: Cancel goes back with `access_denied`; Continue redirects to the
 * provider (state, PKCE, nonce, browser binding) or stores the typed credentials.
 */
export async function submitConnectForm(
  deps: FlowDeps,
  token: string,
  form: ConnectForm,
  cookies: Record<string, string | undefined>,
  origin: AuditOrigin,
): Promise<FlowOutcome> {
  const found = await usableSession(deps, token, form.display);
  if ('kind' in found) return found;
  const { session } = found;
  if (!csrfValid(deps.csrfSecret, cookies, session.id, form.csrf)) {
    return stopPage(found.ctx, 403, {
      title: 'Please try again',
      heading: 'Please try again',
      message:
        'We could not confirm that this request came from the connect page in this browser. Open the link again and press Continue.',
      error: 'access_denied',
    });
  }
  if (form.action === 'cancel') {
    if (!(await spend(deps, session, session.providerKey ?? '', form))) {
      return spentMeanwhile(deps, token, form);
    }
    return ending(found.ctx, { status: 'error', error: 'access_denied' });
  }
  const chosen = await chosenProvider(deps, session, found.ctx, form.provider);
  if ('kind' in chosen) return chosen;
  const { record, ctx } = chosen;
  if (record.authMode === 'oauth2') {
    await deps.registry.refreshStaleMetadata(record.key);
    const fresh = (await deps.providers.get(record.key)) ?? record;
    const scopes = effectiveScopes(session, fresh);
    if (!(await spend(deps, session, record.key, form, scopes))) {
      return spentMeanwhile(deps, token, form);
    }
    return toProvider(deps, { ...session, scopes }, ctx, fresh);
  }
  const rules = credentialForm(record);
  const secret = checkCredentials(rules, form);
  if ('error' in secret) {
    return {
      kind: 'page',
      status: 400,
      html: credentialsPage({
        ctx,
        action: `/connect/${token}`,
        csrf: form.csrf,
        providerKey: record.key,
        form: rules,
        error: secret.error,
      }),
      popup: ctx.display === 'popup',
      formTargets: formTargets(session, record),
    };
  }
  if (!(await spend(deps, session, record.key, form))) return spentMeanwhile(deps, token, form);
  const result = await grantArrived(
    deps,
    session,
    {
      serviceId: session.serviceId,
      providerKey: record.key,
      subject: session.subject,
      connectionId: session.connectionId,
      connectionConfig: {},
      authType: secret.type,
      origin,
    },
    {
      tokens: staticTokens(secret),
      scopes: [],
      metadata: {},
      receivedAt: deps.clock.now().getTime(),
    },
  );
  return ending(ctx, result);
}
