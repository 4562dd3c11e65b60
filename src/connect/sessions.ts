import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { insufficientScope, invalidRequest, notFound } from '../errors/index.js';
import { newId } from '../ids.js';
import { connectionPlaceholders, placeholderValues } from '../providers/metadata.js';
import type { ProviderStore } from '../providers/store.js';
import type { ServicePrincipal } from '../services/service-store.js';
import type { ConnectSessionBody } from './schema.js';
import { newSessionToken, sha256 } from './secrets.js';

/** How long a connect session's link works. */
export const CONNECT_SESSION_TTL_MS = 10 * 60 * 1000;

/** What `POST /v1/connect-sessions` answers; `token` exists only here and in `connect_url`. */
export interface CreatedConnectSession {
  id: string;
  token: string;
  connectUrl: string;
  expiresAt: Date;
}

/** @throws BrokerError invalid_request when `return_to` is not under an allowed origin. */
function checkReturnTo(service: ServicePrincipal, returnTo: string | undefined): void {
  if (returnTo === undefined) return;
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    throw invalidRequest('return_to: must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidRequest('return_to: must be an http(s) URL');
  }
  if (!service.allowedReturnTo.includes(url.origin)) {
    throw invalidRequest(`return_to: origin ${url.origin} is not allowed for this service`);
  }
}

/**
 * Mints connect sessions: single-use tickets for one `(provider, subject)` consent, stored
 * only as the SHA-256 of their token.
 *
 * @example
 * const s = await sessions.create(service, { provider: 'github', subject: 'user-42' });
 * // s.connectUrl = `${PUBLIC_URL}/connect/${s.token}`
 */
export function createConnectSessions(deps: {
  prisma: PrismaClient;
  providers: ProviderStore;
  clock: Clock;
  publicUrl: string;
}) {
  return {
    /**
     * @throws BrokerError insufficient_scope (provider outside the service's policy),
     *   not_found (unknown provider), invalid_request (return_to, connection_config).
     */
    async create(
      service: ServicePrincipal,
      body: ConnectSessionBody,
    ): Promise<CreatedConnectSession> {
      if (!service.allowedProviders.includes(body.provider)) {
        throw insufficientScope(`this service may not use provider "${body.provider}"`);
      }
      const provider = await deps.providers.get(body.provider);
      if (!provider) throw notFound('provider');
      checkReturnTo(service, body.return_to);
      const connectionConfig = placeholderValues(
        connectionPlaceholders(provider),
        'connection',
        body.connection_config ?? {},
        'connection_config',
      );
      const token = newSessionToken();
      const id = newId('cs');
      const expiresAt = new Date(deps.clock.now().getTime() + CONNECT_SESSION_TTL_MS);
      await deps.prisma.connectSession.create({
        data: {
          id,
          tokenHash: sha256(token),
          serviceId: service.id,
          providerKey: provider.key,
          subject: body.subject,
          scopes: body.scopes ?? provider.scopes,
          returnTo: body.return_to ?? null,
          connectionConfig,
          expiresAt,
        },
      });
      return { id, token, connectUrl: `${deps.publicUrl}/connect/${token}`, expiresAt };
    },
  };
}

export type ConnectSessions = ReturnType<typeof createConnectSessions>;
