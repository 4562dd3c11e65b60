import type { AuditOrigin } from '../audit/audit-log.js';
import type { ProviderRecord, TokenResult } from '../providers/types.js';
import { accountMetadata, connectionMetadata } from '../providers/connection-metadata.js';
import { forConnection, redirectUriOf } from '../providers/metadata.js';
import { callbackFailure } from './callback-errors.js';
import { connectFlows } from './metrics.js';
import { ending, grantArrived, type FlowResult } from './ending.js';
import { stopPage } from './link.js';
import type { FlowCookie, FlowOutcome } from './outcome.js';
import { messagePage, type PageContext } from './pages.js';
import { DISPLAY } from './schema.js';
import { flowCookieName, matchesHash, sha256 } from './secrets.js';
import type { FlowDeps } from './start.js';

/** A callback that belongs to no flow in progress: the user can only start again. */
const strayCallback = (message: string): FlowOutcome => ({
  kind: 'page',
  status: 400,
  html: messagePage({
    title: 'Connection not finished',
    heading: 'This connection could not be finished',
    message,
    ctx: {},
    tone: 'bad',
  }),
});

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

/**
 * Whether the answer arrived at another redirect URI than the provider's own: a provider
 * with a distinct one answers only at `/oauth/callback/{its key}`, any other only at the
 * shared `/oauth/callback` (RFC 9700 §4.4.2 mix-up defence where `iss` is not sent).
 */
const arrivedElsewhere = (p: ProviderRecord, callbackKey: string | undefined): boolean =>
  p.distinctRedirectUri ? callbackKey !== p.key : callbackKey !== undefined;

type ClaimedFlow = NonNullable<Awaited<ReturnType<typeof findFlow>>>;

const findFlow = (deps: FlowDeps, state: string) =>
  deps.prisma.oAuthFlow.findUnique({
    where: { stateHash: sha256(state) },
    include: {
      connectSession: { include: { service: { select: { name: true, displayName: true } } } },
    },
  });

/** A flow whose state is proven: known, this browser's, and claimed now (single use). */
interface Claimed {
  flow: ClaimedFlow;
  state: string;
  record: ProviderRecord | undefined;
  ctx: PageContext;
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
    return strayCallback('The answer from the provider was incomplete. Please start again.');
  }
  const flow = await findFlow(deps, state);
  if (!flow) {
    return strayCallback(
      'This answer does not belong to a connection in progress. Go back to the app and start again.',
    );
  }
  const session = flow.connectSession;
  // A flow exists only once the session has a provider (picked or minted with one).
  const providerKey = session.providerKey ?? '';
  const record = await deps.providers.get(providerKey);
  const ctx: PageContext = {
    providerName: record?.displayName ?? providerKey,
    appName: session.service.displayName ?? session.service.name,
    returnTo: session.returnTo,
    display: DISPLAY.parse(session.display),
  };
  const cookieName = flowCookieName(state);
  // Checked before spending the flow, so a stranger's request cannot burn the user's.
  if (!matchesHash(cookies[cookieName], flow.browserHash)) {
    return stopPage(ctx, 400, {
      title: 'Connection not finished',
      heading: 'Finish in the browser you started in',
      message: `This connection was started in another browser or window. Go back to ${ctx.appName} and start again here.`,
      error: 'invalid_request',
    });
  }
  const clear = { name: cookieName, value: '', maxAge: 0, path: '/oauth/callback' };
  const now = deps.clock.now();
  const claimed = await deps.prisma.oAuthFlow.updateMany({
    where: { id: flow.id, consumedAt: null, expiresAt: { gt: now } },
    data: { consumedAt: now },
  });
  if (claimed.count === 0) {
    const stopped = stopPage(ctx, 400, {
      title: 'Connection not finished',
      heading: flow.consumedAt ? 'This step was already done' : 'This attempt has expired',
      message: flow.consumedAt
        ? `The provider’s answer was already used. If ${ctx.appName} does not show the connection, start again.`
        : `It took longer than 10 minutes. Go back to ${ctx.appName} and start again.`,
      error: 'invalid_request',
    });
    return { ...stopped, cookies: [clear] };
  }
  return { flow, state, record, ctx, clear, now };
}

/** Checks `iss`, redeems the code; the error code for the app when anything is wrong. */
async function redeem(
  deps: FlowDeps,
  c: Claimed,
  provider: ProviderRecord,
  query: URLSearchParams,
  callbackKey: string | undefined,
): Promise<TokenResult | { error: string }> {
  if (arrivedElsewhere(provider, callbackKey)) {
    deps.logger.warn(
      { provider: provider.key, callback: callbackKey ?? null },
      'provider answer arrived at another redirect URI (mix-up?); the code is not redeemed',
    );
    return { error: 'invalid_request' };
  }
  if (issuerMismatch(provider, query)) return { error: 'invalid_issuer' };
  const callbackUrl = new URL(redirectUriOf(deps.publicUrl, provider));
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
  origin: AuditOrigin,
  /** The `{key}` of `/oauth/callback/{key}`; undefined at the shared `/oauth/callback`. */
  callbackKey?: string,
): Promise<FlowOutcome> {
  const claimed = await claimFlow(deps, query, cookies);
  if ('kind' in claimed) return claimed;
  const session = claimed.flow.connectSession;
  const providerKey = session.providerKey ?? '';
  const config = session.connectionConfig as Record<string, string>;
  const provider = claimed.record && forConnection(claimed.record, config);
  const tokens = provider
    ? await redeem(deps, claimed, provider, query, callbackKey)
    : { error: 'invalid_request' };
  if (!provider || 'error' in tokens) {
    const { error } = tokens as { error: string };
    connectFlows.inc({ provider: providerKey, outcome: 'failed' });
    deps.audit.record({
      actorType: 'service',
      actorId: session.serviceId,
      action: 'connection.create',
      connectionId: null,
      providerKey,
      outcome: error,
      origin,
    });
    deps.logger.warn({ provider: providerKey, error }, 'consent flow failed');
    return ending(claimed.ctx, { status: 'error', error }, [claimed.clear]);
  }
  const { response, ...kept } = tokens;
  let result: FlowResult;
  try {
    result = await grantArrived(
      deps,
      session,
      {
        serviceId: session.serviceId,
        providerKey: provider.key,
        subject: session.subject,
        connectionId: session.connectionId,
        connectionConfig: config,
        origin,
      },
      {
        tokens: kept,
        scopes: grantedScopes(provider, tokens.scope, session.scopes),
        metadata: {
          ...connectionMetadata(provider, response, query, config),
          ...(await accountMetadata(provider, tokens.accessToken, config, deps.logger)),
        },
        receivedAt: claimed.now.getTime(),
      },
    );
  } catch (error) {
    // A reconnect whose connection was revoked or removed while the user was away.
    const code = (error as { code?: string }).code === 'revoked' ? 'revoked' : 'invalid_request';
    if (!(error as { expose?: boolean }).expose) throw error;
    result = { status: 'error', error: code };
  }
  return ending(claimed.ctx, result, [claimed.clear]);
}
