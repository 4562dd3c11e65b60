import type { Clock } from '../clock.js';
import { mayAccess } from '../connections/access.js';
import type { PrismaClient } from '../db/client.js';
import { BrokerError, insufficientScope, invalidRequest, notFound } from '../errors/index.js';
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

interface Target {
  providerKey: string | null;
  subject: string;
  scopes: string[];
  connectionConfig: Record<string, string>;
  connectionId: string | null;
}

export interface ConnectSessionDeps {
  prisma: PrismaClient;
  providers: ProviderStore;
  clock: Clock;
  publicUrl: string;
}

/**
 * Mints connect sessions: single-use tickets for one consent, stored only as the SHA-256
 * of their token. Three kinds: for one provider, for the user to pick one of the service's
 * providers (no `provider`), and a reconnect of an existing connection (`connection_id`).
 *
 * @example
 * const s = await sessions.create(service, { provider: 'github', subject: 'user-42' });
 * // s.connectUrl = `${PUBLIC_URL}/connect/${s.token}`
 */
export function createConnectSessions(deps: ConnectSessionDeps) {
  /** @throws BrokerError insufficient_scope, not_found, invalid_request. */
  async function forProvider(service: ServicePrincipal, body: ConnectSessionBody): Promise<Target> {
    const subject = body.subject ?? '';
    if (body.provider === undefined) {
      if (body.scopes || body.connection_config) {
        throw invalidRequest('provider: scopes and connection_config need a provider');
      }
      if (service.allowedProviders.length === 0) {
        throw insufficientScope('this service may not use any provider');
      }
      return { providerKey: null, subject, scopes: [], connectionConfig: {}, connectionId: null };
    }
    if (!service.allowedProviders.includes(body.provider)) {
      throw insufficientScope(`this service may not use provider "${body.provider}"`);
    }
    const provider = await deps.providers.get(body.provider);
    if (!provider) throw notFound('provider');
    const connectionConfig = placeholderValues(
      connectionPlaceholders(provider),
      'connection',
      body.connection_config ?? {},
      'connection_config',
    );
    const scopes = body.scopes ?? provider.scopes;
    return { providerKey: provider.key, subject, scopes, connectionConfig, connectionId: null };
  }

  /** @throws BrokerError not_found (unknown or outside the service's access), revoked. */
  async function forReconnect(
    service: ServicePrincipal,
    body: ConnectSessionBody,
  ): Promise<Target> {
    const id = body.connection_id ?? '';
    const row = await deps.prisma.connection.findUnique({ where: { id } });
    if (!row || !mayAccess(service, row)) throw notFound('connection');
    if (row.status === 'revoked') {
      throw new BrokerError('revoked', 'the connection was revoked; connect the account anew');
    }
    const provider = await deps.providers.get(row.providerKey);
    if (!provider) throw notFound('provider');
    return {
      providerKey: row.providerKey,
      subject: row.subject,
      scopes: body.scopes ?? (row.scopes.length > 0 ? row.scopes : provider.scopes),
      connectionConfig: row.connectionConfig as Record<string, string>,
      connectionId: row.id,
    };
  }

  return {
    /**
     * @throws BrokerError insufficient_scope (provider outside the service's policy),
     *   not_found (unknown provider; a connection outside the service's access), revoked
     *   (a reconnect of a revoked connection), invalid_request (return_to, connection_config).
     */
    async create(
      service: ServicePrincipal,
      body: ConnectSessionBody,
    ): Promise<CreatedConnectSession> {
      checkReturnTo(service, body.return_to);
      const target = body.connection_id
        ? await forReconnect(service, body)
        : await forProvider(service, body);
      const token = newSessionToken();
      const id = newId('cs');
      const expiresAt = new Date(deps.clock.now().getTime() + CONNECT_SESSION_TTL_MS);
      await deps.prisma.connectSession.create({
        data: {
          id,
          tokenHash: sha256(token),
          serviceId: service.id,
          ...target,
          returnTo: body.return_to ?? null,
          codeChallenge: body.code_challenge ?? null,
          expiresAt,
        },
      });
      return { id, token, connectUrl: `${deps.publicUrl}/connect/${token}`, expiresAt };
    },
  };
}

export type ConnectSessions = ReturnType<typeof createConnectSessions>;
