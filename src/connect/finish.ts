import type { ProviderRecord, TokenResult } from '../providers/types.js';
import { accountMetadata, connectionMetadata } from '../providers/connection-metadata.js';
import { forConnection } from '../providers/metadata.js';
import { callbackFailure } from './callback-errors.js';
import { connectFlows } from './metrics.js';
import type { FlowCookie, FlowOutcome } from './outcome.js';
import { flowErrorPage, flowSuccessPage, type FlowContext } from './pages.js';
import { saveConnection } from '../connections/save.js';
import { flowCookieName, matchesHash, sha256 } from './secrets.js';
import { redirectUri, returnUrl, type FlowDeps } from './start.js';

const MESSAGES: Record<string, string> = {
  access_denied: 'The connection was not approved.',
  invalid_grant: 'The provider did not accept the authorization. Please start again.',
  invalid_id_token: 'The provider’s identity token could not be verified.',
  invalid_issuer: 'The response did not come from the expected provider.',
  upstream_unavailable: 'The provider did not answer properly. Please try again later.',
};

const page = (
  status: number,
  ctx: FlowContext,
  message: string,
  code: string,
  cookie?: FlowCookie,
): FlowOutcome => ({
  kind: 'page',
  status,
  html: flowErrorPage(ctx, message, code),
  ...(cookie ? { cookie } : {}),
});

const anonymous: FlowContext = { providerName: undefined, appName: undefined };

/** Splits a granted `scope` by the provider's separator (GitHub answers `repo,user`). */
function grantedScopes(
  p: ProviderRecord,
  scope: string | undefined,
  requested: string[],
): string[] {
  if (scope === undefined) return requested;
  return scope.split(p.scopeSeparator === ' ' ? /\s+/ : /[\s,+]+/).filter(Boolean);
}

/** RFC 9207: an `iss` that is sent must be the provider's; metadata may require it. */
function issuerMismatch(p: ProviderRecord, query: URLSearchParams): boolean {
  const iss = query.get('iss');
  if (iss === null) return p.metadata.authorization_response_iss_parameter_supported === true;
  return iss !== p.metadata.issuer;
}

type ClaimedFlow = NonNullable<Awaited<ReturnType<typeof findFlow>>>;

const findFlow = (deps: FlowDeps, state: string) =>
  deps.prisma.oAuthFlow.findUnique({
    where: { stateHash: sha256(state) },
    include: { connectSession: { include: { service: { select: { name: true } } } } },
  });

/** A flow whose state is proven: known, this browser's, and claimed now (single use). */
interface Claimed {
  flow: ClaimedFlow;
  state: string;
  record: ProviderRecord | undefined;
  ctx: { providerName: string; appName: string };
  clear: FlowCookie;
  now: Date;
}

/** Checks the state, the browser binding and the expiry, and spends the flow. */
async function claimFlow(
  deps: FlowDeps,
  query: URLSearchParams,
  cookies: Record<string, string | undefined>,
): Promise<Claimed | FlowOutcome> {
  const states = query.getAll('state');
  const state = states[0];
  if (states.length !== 1 || !state) {
    return page(400, anonymous, 'The response has no valid state.', 'invalid_request');
  }
  const flow = await findFlow(deps, state);
  if (!flow) {
    const message = 'This response does not belong to a connection in progress.';
    return page(400, anonymous, message, 'invalid_request');
  }
  const session = flow.connectSession;
  // A flow exists only once the session has a provider (picked or minted with one).
  const providerKey = session.providerKey ?? '';
  const record = await deps.providers.get(providerKey);
  const ctx = {
    providerName: record?.displayName ?? providerKey,
    appName: session.service.name,
  };
  const cookieName = flowCookieName(state);
  // Checked before spending the flow, so a stranger's request cannot burn the user's.
  if (!matchesHash(cookies[cookieName], flow.browserHash)) {
    const message = 'This connection was started in another browser. Please start again here.';
    return page(400, ctx, message, 'invalid_request');
  }
  const clear = { name: cookieName, value: '', maxAge: 0 };
  const now = deps.clock.now();
  const claimed = await deps.prisma.oAuthFlow.updateMany({
    where: { id: flow.id, consumedAt: null, expiresAt: { gt: now } },
    data: { consumedAt: now },
  });
  if (claimed.count === 0) {
    const message = flow.consumedAt
      ? 'This response was already used.'
      : 'This connection attempt has expired.';
    return page(400, ctx, `${message} Please start again.`, 'invalid_request', clear);
  }
  return { flow, state, record, ctx, clear, now };
}

/** Ends a proven flow: back to the app with the result, or a page when it gave no return_to. */
function ending(c: Claimed, result: { connectionId: string } | { error: string }): FlowOutcome {
  const { returnTo } = c.flow.connectSession;
  if ('connectionId' in result) {
    if (!returnTo)
      return { kind: 'page', status: 200, html: flowSuccessPage(c.ctx), cookie: c.clear };
    const params = { connection_id: result.connectionId, status: 'success' };
    return { kind: 'redirect', location: returnUrl(returnTo, params), cookie: c.clear };
  }
  if (returnTo) {
    const params = { status: 'error', error: result.error };
    return { kind: 'redirect', location: returnUrl(returnTo, params), cookie: c.clear };
  }
  const message = MESSAGES[result.error] ?? 'The provider refused the connection.';
  return page(400, c.ctx, message, result.error, c.clear);
}

/** Checks `iss`, redeems the code; the error code for the app when anything is wrong. */
async function redeem(
  deps: FlowDeps,
  c: Claimed,
  provider: ProviderRecord,
  query: URLSearchParams,
): Promise<TokenResult | { error: string }> {
  if (issuerMismatch(provider, query)) return { error: 'invalid_issuer' };
  const callbackUrl = new URL(redirectUri(deps.publicUrl));
  callbackUrl.search = query.toString();
  const { flow } = c;
  try {
    return await deps.oauth.authorizationCodeGrant(provider, callbackUrl, {
      state: c.state,
      codeVerifier: deps.keyring.decrypt(flow.codeVerifier, flow.keyId, {
        table: 'oauth_flows',
        id: flow.id,
        field: 'code_verifier',
      }),
      nonce: flow.nonce ?? undefined,
    });
  } catch (error) {
    const failure = callbackFailure(error);
    if (failure.transient) await deps.registry.markMetadataStale(provider.key);
    const { name, code } = error as { name?: string; code?: string };
    deps.logger.warn({ provider: provider.key, err: name, code }, 'code exchange failed');
    return { error: failure.code };
  }
}

/**
 * `GET /oauth/callback`: checks the state (known, same browser, unused, unexpired) and the
 * issuer, redeems the code with the PKCE verifier, validates the ID token, then stores
 * the tokens encrypted and upserts the connection. Every failure ends in a redirect to
 * `return_to` with `status=error` (once the state is proven) or an error page; nothing is
 * stored and an earlier connection stays as it was.
 */
export async function finishFlow(
  deps: FlowDeps,
  query: URLSearchParams,
  cookies: Record<string, string | undefined>,
): Promise<FlowOutcome> {
  const claimed = await claimFlow(deps, query, cookies);
  if ('kind' in claimed) return claimed;
  const session = claimed.flow.connectSession;
  const audit = (connectionId: string | null, outcome: string, reconnected?: boolean) =>
    deps.audit.record({
      actorType: 'service',
      actorId: session.serviceId,
      action: 'connection.create',
      connectionId,
      providerKey: session.providerKey,
      outcome,
      ...(reconnected === undefined ? {} : { detail: { reconnected } }),
    });
  const config = session.connectionConfig as Record<string, string>;
  const provider = claimed.record && forConnection(claimed.record, config);
  const tokens = provider
    ? await redeem(deps, claimed, provider, query)
    : { error: 'invalid_request' };
  if (!provider || 'error' in tokens) {
    const { error } = tokens as { error: string };
    connectFlows.inc({ provider: session.providerKey ?? '', outcome: 'failed' });
    audit(null, error);
    deps.logger.warn({ provider: session.providerKey, error }, 'consent flow failed');
    return ending(claimed, { error });
  }
  const { connection, reconnected } = await saveConnection(deps.prisma, deps.keyring, {
    serviceId: session.serviceId,
    providerKey: provider.key,
    subject: session.subject,
    tokens,
    scopes: grantedScopes(provider, tokens.scope, session.scopes),
    connectionConfig: config,
    now: claimed.now,
    refreshWindowSeconds: deps.refreshWindowSeconds,
    refreshKeepAliveDays: deps.refreshKeepAliveDays,
    metadata: {
      ...connectionMetadata(provider, tokens.response, query, config),
      ...(await accountMetadata(provider, tokens.accessToken, config, deps.logger)),
    },
  });
  connectFlows.inc({ provider: provider.key, outcome: 'completed' });
  audit(connection.id, 'success', reconnected);
  const fields = { provider: provider.key, connection_id: connection.id, reconnected };
  deps.logger.info(fields, 'connection created');
  return ending(claimed, { connectionId: connection.id });
}
