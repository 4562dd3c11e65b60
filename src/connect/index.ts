import type { AuditOrigin } from '../audit/audit-log.js';
import type { ConnectionRow } from '../connections/present.js';
import type { ServicePrincipal } from '../services/service-store.js';
import { storeGrant } from './ending.js';
import { finishFlow } from './finish.js';
import { claimHeldGrant } from './handshake.js';
import type { FlowOutcome } from './outcome.js';
import { showConnectPage } from './page.js';
import type { CompleteBody, ConnectForm, ConnectSessionBody, Display } from './schema.js';
import { createConnectSessions, type CreatedConnectSession } from './sessions.js';
import { submitConnectForm, type FlowDeps } from './start.js';

export type { FlowCookie, FlowOutcome } from './outcome.js';

/**
 * Connecting accounts: connect sessions for services, the broker's connect page, the
 * browser's consent flow, and the app handshake's `complete`.
 *
 * @example
 * const connect = createConnect(deps);
 * const session = await connect.createSession(service, { provider: 'github', subject: 'u1' });
 */
export function createConnect(deps: FlowDeps) {
  const sessions = createConnectSessions(deps);
  return {
    createSession: (
      service: ServicePrincipal,
      body: ConnectSessionBody,
    ): Promise<CreatedConnectSession> => sessions.create(service, body),
    /** `GET /connect/{token}`: never spends the session. */
    show: (
      token: string,
      query: { provider?: string | undefined; display: Display },
      cookies: Record<string, string | undefined>,
    ): Promise<FlowOutcome> => showConnectPage(deps, token, query, cookies),
    /** `POST /connect/{token}`: Continue, Cancel, or the static-credential form. */
    submit: (
      token: string,
      form: ConnectForm,
      cookies: Record<string, string | undefined>,
      origin: AuditOrigin,
    ): Promise<FlowOutcome> => submitConnectForm(deps, token, form, cookies, origin),
    finish: (
      query: URLSearchParams,
      cookies: Record<string, string | undefined>,
      origin: AuditOrigin,
      callbackKey?: string,
    ): Promise<FlowOutcome> => finishFlow(deps, query, cookies, origin, callbackKey),
    /**
     * `POST /v1/connect-sessions/{id}/complete`: stores the held grant as the service's
     * connection once the code and verifier match.
     *
     * @throws BrokerError not_found, invalid_request (see claimHeldGrant), revoked.
     */
    async complete(
      service: ServicePrincipal,
      sessionId: string,
      body: CompleteBody,
      origin: AuditOrigin,
    ): Promise<ConnectionRow> {
      const claimed = await claimHeldGrant(deps, service.id, sessionId, body);
      const { connection } = await storeGrant(
        deps,
        {
          ...claimed.session,
          connectionId: claimed.connectionId,
          connectionConfig: claimed.connectionConfig,
          origin,
        },
        claimed.grant,
      );
      return connection;
    },
  };
}

export type Connect = ReturnType<typeof createConnect>;
