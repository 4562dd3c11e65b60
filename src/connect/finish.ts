import type { ProviderRecord } from '../providers/oauth-client.js';
import { forConnection } from '../providers/metadata.js';
import { callbackFailure } from './callback-errors.js';
import { connectFlows } from './metrics.js';
import type { FlowCookie, FlowOutcome } from './outcome.js';
import { flowErrorPage, flowSuccessPage, type FlowContext } from './pages.js';
import { saveConnection } from './save-connection.js';
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
  const states = query.getAll('state');
  const state = states[0];
  if (states.length !== 1 || !state) {
    return page(
      400,
      anonymous,
      'The response from the provider has no valid state.',
      'invalid_request',
    );
  }
  const flow = await deps.prisma.oAuthFlow.findUnique({
    where: { stateHash: sha256(state) },
    include: { connectSession: { include: { service: { select: { name: true } } } } },
  });
  if (!flow)
    return page(
      400,
      anonymous,
      'This response does not belong to a connection in progress.',
      'invalid_request',
    );
  const session = flow.connectSession;
  const record = await deps.providers.get(session.providerKey);
  const ctx = {
    providerName: record?.displayName ?? session.providerKey,
    appName: session.service.name,
  };
  const cookieName = flowCookieName(state);
  if (!matchesHash(cookies[cookieName], flow.browserHash)) {
    return page(
      400,
      ctx,
      'This connection was started in another browser. Please start again here.',
      'invalid_request',
    );
  }
  const clear = { name: cookieName, value: '', maxAge: 0 };
  const now = deps.clock.now();
  const consumed = await deps.prisma.oAuthFlow.updateMany({
    where: { id: flow.id, consumedAt: null, expiresAt: { gt: now } },
    data: { consumedAt: now },
  });
  if (consumed.count === 0) {
    const message = flow.consumedAt
      ? 'This response was already used.'
      : 'This connection attempt has expired.';
    return page(400, ctx, `${message} Please start again.`, 'invalid_request', clear);
  }

  const fail = (code: string): FlowOutcome => {
    connectFlows.inc({ provider: session.providerKey, outcome: 'failed' });
    deps.audit.record({
      actorType: 'service',
      actorId: session.serviceId,
      action: 'connection.create',
      connectionId: null,
      providerKey: session.providerKey,
      outcome: code,
    });
    deps.logger.warn({ provider: session.providerKey, error: code }, 'consent flow failed');
    if (session.returnTo) {
      return {
        kind: 'redirect',
        location: returnUrl(session.returnTo, { status: 'error', error: code }),
        cookie: clear,
      };
    }
    return page(400, ctx, MESSAGES[code] ?? 'The provider refused the connection.', code, clear);
  };

  if (!record) return fail('invalid_request');
  const provider = forConnection(record, session.connectionConfig as Record<string, string>);
  if (issuerMismatch(provider, query)) return fail('invalid_issuer');
  const callbackUrl = new URL(redirectUri(deps.publicUrl));
  callbackUrl.search = query.toString();
  let tokens;
  try {
    tokens = await deps.oauth.authorizationCodeGrant(provider, callbackUrl, {
      state,
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
    deps.logger.warn(
      {
        provider: provider.key,
        err: (error as Error).name,
        code: (error as { code?: string }).code,
      },
      'code exchange failed',
    );
    return fail(failure.code);
  }

  const { connection, reconnected } = await saveConnection(deps.prisma, deps.keyring, {
    providerKey: provider.key,
    subject: session.subject,
    tokens,
    scopes: grantedScopes(provider, tokens.scope, session.scopes),
    connectionConfig: session.connectionConfig as Record<string, string>,
    now,
    refreshWindowSeconds: deps.refreshWindowSeconds,
  });
  connectFlows.inc({ provider: provider.key, outcome: 'completed' });
  deps.audit.record({
    actorType: 'service',
    actorId: session.serviceId,
    action: 'connection.create',
    connectionId: connection.id,
    providerKey: provider.key,
    outcome: 'success',
    detail: { reconnected },
  });
  deps.logger.info(
    { provider: provider.key, connection_id: connection.id, reconnected },
    'connection created',
  );
  if (session.returnTo) {
    return {
      kind: 'redirect',
      location: returnUrl(session.returnTo, { connection_id: connection.id, status: 'success' }),
      cookie: clear,
    };
  }
  return { kind: 'page', status: 200, html: flowSuccessPage(ctx), cookie: clear };
}
