import type { AuditOrigin } from '../audit/audit-log.js';
import { saveGrant } from '../connections/save.js';
import { holdGrant, type HeldGrant } from './handshake.js';
import { connectFlows } from './metrics.js';
import type { FlowCookie, FlowOutcome } from './outcome.js';
import { messagePage, popupEndPage, type PageContext } from './pages.js';
import { returnUrl } from './link.js';
import type { FlowDeps } from './start.js';

/** The connection a grant is stored into: a session's target. */
export interface GrantTarget {
  serviceId: string;
  providerKey: string;
  subject: string;
  /** Reconnect: this connection's tokens are replaced and its id kept. */
  connectionId: string | null;
  connectionConfig: Record<string, string>;
  authType?: 'oauth2' | 'api_key' | 'basic';
  /** The request that stored it (the callback, the form post, `complete`), for the audit trail. */
  origin?: AuditOrigin | undefined;
}

/**
 * Stores a grant as the target's connection (one transaction, `connection.created`), audits
 * it, and revokes at the provider the refresh token it replaced (where the provider can).
 *
 * @throws BrokerError not_found / revoked when a reconnect's connection went away meanwhile.
 */
export async function storeGrant(deps: FlowDeps, t: GrantTarget, grant: HeldGrant) {
  const now = deps.clock.now();
  const saved = await saveGrant(deps, {
    serviceId: t.serviceId,
    providerKey: t.providerKey,
    subject: t.subject,
    connectionId: t.connectionId ?? undefined,
    tokens: grant.tokens,
    scopes: grant.scopes,
    connectionConfig: t.connectionConfig,
    now,
    refreshWindowSeconds: deps.refreshWindowSeconds,
    refreshKeepAliveDays: deps.refreshKeepAliveDays,
    metadata: grant.metadata,
    ...(t.authType ? { authType: t.authType } : {}),
  });
  deps.audit.record({
    actorType: 'service',
    actorId: t.serviceId,
    action: 'connection.create',
    connectionId: saved.connection.id,
    providerKey: t.providerKey,
    outcome: 'success',
    detail: { reconnected: saved.reconnected },
    origin: t.origin,
  });
  deps.logger.info(
    { provider: t.providerKey, connection_id: saved.connection.id, reconnected: saved.reconnected },
    'connection created',
  );
  return saved;
}

/** What the app learns at the end of a flow. */
export type FlowResult =
  | { status: 'success'; connection_id: string }
  | { status: 'success'; connect_session_id: string; code: string }
  | { status: 'error'; error: string };

/**
 * A grant arrived for a session: with the app handshake it is held and the app gets a
 * one-time code; otherwise it is stored now.
 */
export async function grantArrived(
  deps: FlowDeps,
  session: { id: string; codeChallenge: string | null },
  target: GrantTarget,
  grant: HeldGrant,
): Promise<FlowResult> {
  connectFlows.inc({ provider: target.providerKey, outcome: 'completed' });
  if (session.codeChallenge) {
    const code = await holdGrant(deps, session.id, grant);
    return { status: 'success', connect_session_id: session.id, code };
  }
  await deps.prisma.connectSession.update({
    where: { id: session.id },
    data: { finishedAt: deps.clock.now() },
  });
  const { connection } = await storeGrant(deps, target, grant);
  return { status: 'success', connection_id: connection.id };
}

const ERROR_WORDS: Record<string, string> = {
  access_denied: 'The connection was not approved.',
  invalid_grant: 'The provider did not accept the sign-in. Please try again.',
  invalid_id_token: 'The provider’s answer could not be verified. Please try again.',
  invalid_issuer: 'The answer did not come from the expected provider.',
  upstream_unavailable: 'The provider did not answer properly. Please try again later.',
  revoked: 'This connection was removed meanwhile, so it cannot be reconnected.',
};

/**
 * How a flow ends for the browser: a popup posts the result to its opener; otherwise a
 * redirect to `return_to` with the result, or a page when the app gave no `return_to`.
 */
export function ending(ctx: PageContext, result: FlowResult, cookies?: FlowCookie[]): FlowOutcome {
  const extra = cookies ? { cookies } : {};
  if (ctx.returnTo && ctx.display === 'popup') {
    return {
      kind: 'page',
      status: 200,
      html: popupEndPage({
        ctx,
        result,
        targetOrigin: new URL(ctx.returnTo).origin,
        ok: result.status === 'success',
      }),
      popup: true,
      ...extra,
    };
  }
  if (ctx.returnTo) {
    return { kind: 'redirect', location: returnUrl(ctx.returnTo, result), ...extra };
  }
  const popup = ctx.display === 'popup' ? { popup: true } : {};
  if (result.status === 'success') {
    const provider = ctx.providerName ?? 'Your account';
    return {
      kind: 'page',
      status: 200,
      html: messagePage({
        title: 'Connected',
        heading: `${provider} is connected to ${ctx.appName}`,
        message: `All set. You can close this window and return to ${ctx.appName}.`,
        ctx,
        tone: 'ok',
      }),
      ...popup,
      ...extra,
    };
  }
  return {
    kind: 'page',
    status: 400,
    html: messagePage({
      title: 'Not connected',
      heading: ctx.providerName
        ? `${ctx.providerName} was not connected`
        : 'Your account was not connected',
      message:
        ERROR_WORDS[result.error] ?? 'The provider refused the connection. Please try again.',
      ctx,
      tone: 'bad',
      detail: result.error,
    }),
    ...popup,
    ...extra,
  };
}
