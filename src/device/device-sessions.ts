import { saveGrant, type GrantWriterDeps } from '../connections/save.js';
import type { PrismaClient } from '../db/client.js';
import {
  insufficientScope,
  invalidRequest,
  notFound,
  upstreamUnavailable,
} from '../errors/index.js';
import { newId } from '../ids.js';
import { connectionMetadata } from '../providers/connection-metadata.js';
import type { ProviderRecord, TokenResult } from '../providers/types.js';
import { classifyUpstreamError } from '../providers/upstream-errors.js';
import type { ServicePrincipal } from '../services/service-store.js';
import type { z } from 'zod';
import type { DEVICE_SESSION_STATUSES, DeviceSessionBody, deviceSessionSchema } from './schema.js';

/** RFC 8628 §3.5: poll every 5 s unless the provider says otherwise. */
const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: `slow_down` adds 5 s to the interval for all later requests. */
const SLOW_DOWN_SECONDS = 5;

export type DeviceSessionRow = NonNullable<
  Awaited<ReturnType<PrismaClient['deviceSession']['findUnique']>>
>;

export type DeviceDeps = GrantWriterDeps;

const after = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000);

/** What a permanent polling failure means for the session (RFC 8628 §3.5). */
const endStatus = (errorClass: string) =>
  errorClass === 'access_denied' ? 'denied' : errorClass === 'expired_token' ? 'expired' : 'failed';

/**
 * RFC 8628 device authorizations: a service starts one and shows the user code; the
 * broker polls the provider (on the service's `GET` and from a background job) honouring
 * `interval`, `authorization_pending` and `slow_down`, and once the user approved stores
 * the connection exactly like the consent flow (connection.created, audit).
 *
 * @example
 * const s = await device.create(service, { provider: 'github', subject: 'user-42' });
 * // show s.userCode and s.verificationUri; later: await device.get(service, s.id)
 */
export function createDeviceSessions(deps: DeviceDeps) {
  const { prisma, keyring } = deps;
  const cipher = (id: string) => ({ table: 'device_sessions', id, field: 'device_code' });

  async function complete(row: DeviceSessionRow, provider: ProviderRecord, tokens: TokenResult) {
    const now = deps.clock.now();
    const { connection, reconnected } = await saveGrant(deps, {
      serviceId: row.serviceId,
      providerKey: provider.key,
      subject: row.subject,
      tokens,
      scopes: tokens.scope?.split(/[\s,]+/).filter(Boolean) ?? row.scopes,
      connectionConfig: {},
      now,
      refreshWindowSeconds: deps.refreshWindowSeconds,
      refreshKeepAliveDays: deps.refreshKeepAliveDays,
      metadata: connectionMetadata(provider, tokens.response),
    });
    await prisma.deviceSession.update({
      where: { id: row.id },
      data: { status: 'completed', connectionId: connection.id },
    });
    deps.audit.record({
      actorType: 'service',
      actorId: row.serviceId,
      action: 'connection.create',
      connectionId: connection.id,
      providerKey: provider.key,
      outcome: 'success',
      detail: { reconnected, device_session: row.id },
    });
  }

  async function end(row: DeviceSessionRow, status: string, error: string) {
    await prisma.deviceSession.update({ where: { id: row.id }, data: { status, error } });
    deps.audit.record({
      actorType: 'service',
      actorId: row.serviceId,
      action: 'connection.create',
      connectionId: null,
      providerKey: row.providerKey,
      outcome: error,
      detail: { device_session: row.id },
    });
  }

  /**
   * Polls the provider once for a pending session that is due, claiming the poll first
   * (a conditional update), so replicas and concurrent readers never poll faster than
   * the interval.
   */
  async function poll(id: string): Promise<void> {
    const now = deps.clock.now();
    const row = await prisma.deviceSession.findUnique({ where: { id } });
    if (!row || row.status !== 'pending' || row.nextPollAt > now) return;
    const claimed = await prisma.deviceSession.updateMany({
      where: { id, status: 'pending', nextPollAt: row.nextPollAt },
      data: { nextPollAt: after(now, row.intervalSeconds) },
    });
    if (claimed.count === 0) return;
    if (row.expiresAt <= now) return end(row, 'expired', 'expired_token');
    const provider = await deps.providers.get(row.providerKey);
    if (!provider) return end(row, 'failed', 'provider_removed');
    const deviceCode = keyring.decrypt(row.deviceCode, row.keyId, cipher(row.id));
    try {
      const answer = await deps.oauth.deviceToken(provider, deviceCode);
      if ('tokens' in answer) return await complete(row, provider, answer.tokens);
      if (answer.pending === 'slow_down') {
        const interval = row.intervalSeconds + SLOW_DOWN_SECONDS;
        await prisma.deviceSession.update({
          where: { id },
          data: { intervalSeconds: interval, nextPollAt: after(now, interval) },
        });
      }
    } catch (e) {
      const error = classifyUpstreamError(e);
      if (
        error.permanent ||
        ['oauth_access_denied', 'oauth_expired_token'].includes(error.errorClass)
      ) {
        const code = error.errorClass.replace(/^oauth_/, '');
        return end(row, endStatus(code), code);
      }
      deps.logger.warn(
        { device_session: id, provider: row.providerKey, class: error.errorClass },
        'device poll failed',
      );
    }
  }

  return {
    poll,

    /**
     * @throws BrokerError insufficient_scope (provider outside the policy), not_found
     *   (unknown provider), invalid_request (no device endpoint, or refused), upstream_unavailable.
     */
    async create(service: ServicePrincipal, body: DeviceSessionBody): Promise<DeviceSessionRow> {
      if (!service.allowedProviders.includes(body.provider)) {
        throw insufficientScope(`this service may not use provider "${body.provider}"`);
      }
      const provider = await deps.providers.get(body.provider);
      if (!provider) throw notFound('provider');
      if (!provider.metadata.device_authorization_endpoint) {
        throw invalidRequest('provider: it has no device authorization endpoint');
      }
      const scopes = body.scopes ?? provider.scopes;
      let started;
      try {
        started = await deps.oauth.deviceAuthorization(provider, scopes);
      } catch (e) {
        const error = classifyUpstreamError(e);
        if (error.permanent)
          throw invalidRequest(
            `the provider refused the device authorization (${error.errorClass})`,
          );
        throw upstreamUnavailable('the provider did not answer the device authorization', {
          cause: error,
        });
      }
      const now = deps.clock.now();
      const id = newId('dev');
      const interval = started.interval ?? DEFAULT_INTERVAL_SECONDS;
      return prisma.deviceSession.create({
        data: {
          id,
          serviceId: service.id,
          providerKey: provider.key,
          subject: body.subject,
          scopes,
          keyId: keyring.currentKid,
          deviceCode: keyring.encrypt(started.device_code, cipher(id)),
          userCode: started.user_code,
          verificationUri: started.verification_uri,
          verificationUriComplete: started.verification_uri_complete ?? null,
          intervalSeconds: interval,
          nextPollAt: after(now, interval),
          expiresAt: after(now, started.expires_in),
        },
      });
    },

    /**
     * The session as its service sees it, polled first when a poll is due.
     * @throws BrokerError not_found (unknown, or another service's).
     */
    async get(service: ServicePrincipal, id: string): Promise<DeviceSessionRow> {
      const owned = () => prisma.deviceSession.findFirst({ where: { id, serviceId: service.id } });
      if (!(await owned())) throw notFound('device session');
      await poll(id);
      const row = await owned();
      if (!row) throw notFound('device session');
      return row;
    },

    /** Pending sessions due for a poll, oldest first (for the background job). */
    async due(limit: number): Promise<string[]> {
      const rows = await prisma.deviceSession.findMany({
        where: { status: 'pending', nextPollAt: { lte: deps.clock.now() } },
        select: { id: true },
        orderBy: { nextPollAt: 'asc' },
        take: limit,
      });
      return rows.map((r) => r.id);
    },
  };
}

export type DeviceSessions = ReturnType<typeof createDeviceSessions>;

/**
 * A device session as the service API shows it; the device code never leaves the broker.
 *
 * @example res.status(201).json(presentDeviceSession(row))
 */
export const presentDeviceSession = (
  r: DeviceSessionRow,
): z.output<typeof deviceSessionSchema> => ({
  id: r.id,
  provider: r.providerKey,
  subject: r.subject,
  // The column holds only these (this module writes every status).
  status: r.status as (typeof DEVICE_SESSION_STATUSES)[number],
  user_code: r.userCode,
  verification_uri: r.verificationUri,
  ...(r.verificationUriComplete ? { verification_uri_complete: r.verificationUriComplete } : {}),
  interval: r.intervalSeconds,
  expires_at: r.expiresAt.toISOString(),
  connection_id: r.connectionId,
  error: r.error,
});
