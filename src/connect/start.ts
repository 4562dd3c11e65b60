import * as client from 'openid-client';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../ids.js';
import type { Logger } from '../observability/logger.js';
import { forConnection } from '../providers/metadata.js';
import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { ProviderRecord } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderStore } from '../providers/store.js';
import { findTemplate } from '../providers/templates/index.js';
import type { Keyring } from '../vault/keyring.js';
import { connectFlows } from './metrics.js';
import type { FlowOutcome } from './outcome.js';
import { flowErrorPage } from './pages.js';
import { flowCookieName, isSessionToken, randomToken, sha256 } from './secrets.js';

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
}

/** `${PUBLIC_URL}/oauth/callback`: the one redirect URI of every provider. */
export const redirectUri = (publicUrl: string) => `${publicUrl}/oauth/callback`;

const linkError = (
  status: number,
  message: string,
  code: string,
  appName?: string,
): FlowOutcome => ({
  kind: 'page',
  status,
  html: flowErrorPage({ providerName: undefined, appName }, message, code),
});

/** `return_to` with the flow's result appended to its query. */
export function returnUrl(returnTo: string, params: Record<string, string>): string {
  const url = new URL(returnTo);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

type SpentSession = NonNullable<Awaited<ReturnType<typeof findSession>>>;

const findSession = (deps: FlowDeps, token: string) =>
  deps.prisma.connectSession.findUnique({
    where: { tokenHash: sha256(token) },
    include: { service: { select: { name: true } } },
  });

/** Finds the connect session and spends it (single use), or the page saying why not. */
async function spendSession(
  deps: FlowDeps,
  token: string,
  now: Date,
): Promise<SpentSession | FlowOutcome> {
  const session = isSessionToken(token) ? await findSession(deps, token) : null;
  if (!session) return linkError(404, 'This connect link is not valid.', 'not_found');
  const spent = await deps.prisma.connectSession.updateMany({
    where: { id: session.id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (spent.count > 0) return session;
  const message = session.usedAt
    ? 'This connect link was already used. Links work once.'
    : 'This connect link has expired. Links work for 10 minutes.';
  return linkError(410, message, 'invalid_request', session.service.name);
}

/** Where the scopes go: `scope`, or the template's own parameter (Slack user tokens: `user_scope`). */
const scopeParameter = (p: ProviderRecord) =>
  (p.template ? findTemplate(p.template)?.scopeParameter : undefined) ?? 'scope';

/** The flow's secrets: state, PKCE verifier, nonce (OIDC only), browser binding. */
function flowSecrets(scopes: string[]) {
  return {
    state: client.randomState(),
    verifier: client.randomPKCECodeVerifier(),
    nonce: scopes.includes('openid') ? client.randomNonce() : undefined,
    binding: randomToken(),
  };
}

/** The provider could not be reached to start (PAR failed): tell the app or the user. */
function cannotStart(session: SpentSession, provider: ProviderRecord): FlowOutcome {
  if (session.returnTo) {
    const params = { status: 'error', error: 'upstream_unavailable' };
    return { kind: 'redirect', location: returnUrl(session.returnTo, params) };
  }
  const ctx = { providerName: provider.displayName, appName: session.service.name };
  const message = `${provider.displayName} did not answer. Please try again later.`;
  return { kind: 'page', status: 400, html: flowErrorPage(ctx, message, 'upstream_unavailable') };
}

/**
 * `GET /connect/{token}`: spends the connect session, stores the flow's state, PKCE
 * verifier (encrypted) and nonce, binds it to this browser with a cookie, and sends the
 * browser to the provider (through PAR when the provider offers it).
 */
export async function startFlow(deps: FlowDeps, token: string): Promise<FlowOutcome> {
  const now = deps.clock.now();
  const session = await spendSession(deps, token, now);
  if ('kind' in session) return session;
  const providerKey = session.providerKey ?? '';
  await deps.registry.refreshStaleMetadata(providerKey);
  const record = await deps.providers.get(providerKey);
  if (!record) {
    const message = 'This provider is no longer available.';
    return linkError(404, message, 'not_found', session.service.name);
  }
  const provider = forConnection(record, session.connectionConfig as Record<string, string>);
  const { state, verifier, nonce, binding } = flowSecrets(session.scopes);
  const id = newId('flow');
  const cipherContext = { table: 'oauth_flows', id, field: 'code_verifier' };
  await deps.prisma.oAuthFlow.create({
    data: {
      id,
      stateHash: sha256(state),
      connectSessionId: session.id,
      browserHash: sha256(binding),
      keyId: deps.keyring.currentKid,
      codeVerifier: deps.keyring.encrypt(verifier, cipherContext),
      nonce: nonce ?? null,
      expiresAt: new Date(now.getTime() + FLOW_TTL_MS),
    },
  });
  try {
    const url = await deps.oauth.authorizationUrl(provider, {
      ...provider.authorizationParams,
      response_type: 'code',
      redirect_uri: redirectUri(deps.publicUrl),
      ...(session.scopes.length > 0
        ? { [scopeParameter(provider)]: session.scopes.join(provider.scopeSeparator) }
        : {}),
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
    });
    connectFlows.inc({ provider: provider.key, outcome: 'started' });
    const cookie = { name: flowCookieName(state), value: binding, maxAge: FLOW_TTL_MS / 1000 };
    return { kind: 'redirect', location: url.href, cookie };
  } catch (error) {
    await deps.prisma.oAuthFlow.delete({ where: { id } });
    connectFlows.inc({ provider: provider.key, outcome: 'failed' });
    const { name, errorClass } = error as { name?: string; errorClass?: string };
    deps.logger.warn(
      { provider: provider.key, err: name, error_class: errorClass },
      'consent flow could not start',
    );
    return cannotStart(session, provider);
  }
}
