import type { ServicePrincipal } from '../services/service-store.js';
import { finishFlow } from './finish.js';
import type { FlowOutcome } from './outcome.js';
import type { ConnectSessionBody } from './schema.js';
import { createConnectSessions, type CreatedConnectSession } from './sessions.js';
import { startFlow, type FlowDeps } from './start.js';

export type { FlowCookie, FlowOutcome } from './outcome.js';

/**
 * Connecting accounts: connect sessions for services, and the browser's consent flow.
 *
 * @example
 * const connect = createConnect({ prisma, keyring, providers, registry, oauth, clock, logger, audit, publicUrl, refreshWindowSeconds, refreshKeepAliveDays });
 * const session = await connect.createSession(service, { provider: 'github', subject: 'u1' });
 */
export function createConnect(deps: FlowDeps) {
  const sessions = createConnectSessions(deps);
  return {
    createSession: (
      service: ServicePrincipal,
      body: ConnectSessionBody,
    ): Promise<CreatedConnectSession> => sessions.create(service, body),
    start: (token: string): Promise<FlowOutcome> => startFlow(deps, token),
    finish: (
      query: URLSearchParams,
      cookies: Record<string, string | undefined>,
    ): Promise<FlowOutcome> => finishFlow(deps, query, cookies),
  };
}

export type Connect = ReturnType<typeof createConnect>;
