import * as client from 'openid-client';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { newId } from '../ids.js';
import type { Logger } from '../observability/logger.js';
import { forConnection } from '../providers/metadata.js';
import type { ProviderOAuth } from '../providers/oauth-client.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderStore } from '../providers/store.js';
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

/**
 * `GET /connect/{token}`: spends the connect session, stores the flow's state, PKCE
 * verifier (encrypted) and nonce, binds it to this browser with a cookie, and sends the
 * browser to the provider (through PAR when the provider offers it).
 */
export async function startFlow(deps: FlowDeps, token: string): Promise<FlowOutcome> {
  const now = deps.clock.now();
  const session = isSessionToken(token)
    ? await deps.prisma.connectSession.findUnique({
        where: { tokenHash: sha256(token) },
        include: { service: { select: { name: true } } },
      })
    : null;
  if (!session) return linkError(404, 'This connect link is not valid.', 'not_found');
  const app = session.service.name;
  const spent = await deps.prisma.connectSession.updateMany({
    where: { id: session.id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (spent.count === 0) {
    return session.usedAt
      ? linkError(
          410,
          'This connect link was already used. Links work once.',
          'invalid_request',
          app,
        )
      : linkError(
          410,
          'This connect link has expired. Links work for 10 minutes.',
          'invalid_request',
          app,
        );
  }
  await deps.registry.refreshStaleMetadata(session.providerKey);
  const record = await deps.providers.get(session.providerKey);
  if (!record) return linkError(404, 'This provider is no longer available.', 'not_found', app);
  const provider = forConnection(record, session.connectionConfig as Record<string, string>);

  const state = client.randomState();
  const verifier = client.randomPKCECodeVerifier();
  const nonce = session.scopes.includes('openid') ? client.randomNonce() : undefined;
  const binding = randomToken();
  const id = newId('flow');
  await deps.prisma.oAuthFlow.create({
    data: {
      id,
      stateHash: sha256(state),
      connectSessionId: session.id,
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
      redirect_uri: redirectUri(deps.publicUrl),
      scope: session.scopes.join(provider.scopeSeparator),
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
    });
    connectFlows.inc({ provider: provider.key, outcome: 'started' });
    return {
      kind: 'redirect',
      location: url.href,
      cookie: { name: flowCookieName(state), value: binding, maxAge: FLOW_TTL_MS / 1000 },
    };
  } catch (error) {
    await deps.prisma.oAuthFlow.delete({ where: { id } });
    connectFlows.inc({ provider: provider.key, outcome: 'failed' });
    deps.logger.warn(
      {
        provider: provider.key,
        err: (error as Error).name,
        error_class: (error as { errorClass?: string }).errorClass,
      },
      'consent flow could not start',
    );
    const ctx = { providerName: provider.displayName, appName: app };
    if (session.returnTo) {
      return {
        kind: 'redirect',
        location: returnUrl(session.returnTo, { status: 'error', error: 'upstream_unavailable' }),
      };
    }
    return {
      kind: 'page',
      status: 400,
      html: flowErrorPage(
        ctx,
        `${provider.displayName} did not answer. Please try again later.`,
        'upstream_unavailable',
      ),
    };
  }
}
