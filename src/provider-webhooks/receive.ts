import type { AuditLog, AuditOrigin } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import type { BrokerError } from '../errors/index.js';
import {
  invalidRequest,
  invalidToken,
  methodNotAllowed,
  notFound,
  rateLimited,
} from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import { findTemplate } from '../providers/templates/index.js';
import type { TemplateWebhook } from '../providers/templates/types.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { Keyring } from '../vault/keyring.js';
import { enqueueSealedEvent } from '../webhooks/outbox.js';
import { accountValues, matchConnections } from './attribution.js';
import { bodyHash } from './crypto.js';
import { providerWebhookRejections, providerWebhooks } from './metrics.js';
import { parsePayload } from './payload.js';
import { WEBHOOK_SCHEMES, type WebhookSchemeName } from './schemes/index.js';
import { learnedSecretColumns, verificationSecrets } from './secrets.js';
import type { HandshakeAnswer, InboundRequest, RejectionReason, WebhookScheme } from './types.js';

/** What the provider is answered: a handshake's answer or the plain acknowledgement. */
export type WebhookAnswer = Omit<HandshakeAnswer, 'learnSecret'>;

export interface ProviderWebhookDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  limiter: RateLimiter;
  /** Requests a minute per provider, all replicas together; 0 disables. */
  perMinute: number;
  /** Revokes a connection exactly like an admin revoke (`revokeConnection`). */
  revokeConnection(connectionId: string, origin: AuditOrigin | undefined): Promise<unknown>;
}

const SIGNATURE_REASONS: ReadonlySet<RejectionReason> = new Set([
  'missing_signature',
  'bad_signature',
  'stale_timestamp',
]);

/** A handshake answer without the secret it handed over. */
const pick = (a: HandshakeAnswer): Omit<WebhookAnswer, 'status'> => ({
  ...(a.json === undefined ? {} : { json: a.json }),
  ...(a.text === undefined ? {} : { text: a.text }),
  ...(a.headers === undefined ? {} : { headers: a.headers }),
});

/** The error a refusal is answered with (API.md: 401 signatures, 404 providers). */
function refusal(reason: RejectionReason): BrokerError {
  if (SIGNATURE_REASONS.has(reason)) return invalidToken(`webhook signature refused: ${reason}`);
  if (reason === 'invalid_body')
    return invalidRequest('webhook body is not the JSON the provider sends');
  return notFound('provider webhook endpoint');
}

/**
 * Receives provider webhooks: verifies the provider's scheme on the raw body, answers
 * handshakes, then — in one transaction — writes the dedupe record and the
 * `provider.webhook` outbox event (payload encrypted), so the 2xx means "durably queued"
 * and a retry of the same delivery is acknowledged without a second event. Provider-sent
 * revocations revoke the matched connections first (idempotent, so a retry is harmless).
 *
 * @example
 * const answer = await webhooks.receive('github', inboundRequest); // { status: 200, text: '' }
 */
export function createProviderWebhooks(deps: ProviderWebhookDeps) {
  const { prisma, keyring, clock } = deps;

  function reject(
    providerLabel: string,
    reason: RejectionReason,
    providerKey: string | null,
    origin: AuditOrigin | undefined,
  ): never {
    providerWebhookRejections.inc({ provider: providerLabel, reason });
    // No detail: identical refusals within a second coalesce into one audit row with a count.
    deps.audit.record({
      actorType: 'system',
      actorId: 'provider-webhooks',
      action: 'provider_webhook.reject',
      connectionId: null,
      providerKey,
      outcome: reason,
      origin,
    });
    throw refusal(reason);
  }

  async function load(key: string, origin: AuditOrigin | undefined) {
    const row = await prisma.provider.findUnique({
      where: { key },
      select: {
        key: true,
        template: true,
        webhookKeyId: true,
        webhookSecret: true,
        previousWebhookSecret: true,
        previousWebhookSecretExpiresAt: true,
        webhookLearnedSecrets: true,
      },
    });
    if (!row) return reject('unknown', 'unknown_provider', null, origin);
    const spec = row.template ? findTemplate(row.template)?.webhook : undefined;
    const scheme = spec ? WEBHOOK_SCHEMES[spec.scheme as WebhookSchemeName] : undefined;
    if (!spec || !scheme || !row.webhookSecret)
      return reject(key, 'no_webhook_secret', key, origin);
    return { row, spec, scheme };
  }

  async function limit(key: string) {
    if (deps.perMinute <= 0) return;
    const d = await deps.limiter.hit(`provider-webhook:${key}`, deps.perMinute);
    if (d.allowed) return;
    providerWebhookRejections.inc({ provider: key, reason: 'rate_limited' });
    throw rateLimited(d.retryAfterSeconds);
  }

  async function revocations(
    key: string,
    spec: TemplateWebhook,
    eventType: string,
    req: InboundRequest,
    payload: unknown,
    matched: string[],
  ) {
    const rule = spec.revokeOn?.find((r) => r.event === eventType);
    if (!rule) return;
    const ids = rule.accounts
      ? await matchConnections(prisma, key, accountValues(rule.accounts, req, payload))
      : matched;
    for (const id of ids) await deps.revokeConnection(id, req.origin);
    if (ids.length > 0)
      deps.logger.info(
        { provider: key, event_type: eventType, revoked: ids.length },
        'provider-sent revocation',
      );
  }

  /** Writes the dedupe record and the event together; false when the delivery was seen. */
  async function enqueue(
    key: string,
    deliveryId: string,
    data: Record<string, unknown>,
    summary: Record<string, unknown>,
  ) {
    const now = clock.now();
    return prisma.$transaction(async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO provider_webhook_receipts (provider_key, delivery_id, event_id, received_at)
        VALUES (${key}, ${deliveryId}, '', ${now})
        ON CONFLICT (provider_key, delivery_id) DO NOTHING`;
      if (inserted === 0) return false;
      const eventId = await enqueueSealedEvent(tx, keyring, 'provider.webhook', data, summary, now);
      await tx.$executeRaw`
        UPDATE provider_webhook_receipts SET event_id = ${eventId}
        WHERE provider_key = ${key} AND delivery_id = ${deliveryId}`;
      return true;
    });
  }

  async function answerChallenge(
    key: string,
    scheme: WebhookScheme,
    req: InboundRequest,
    row: Awaited<ReturnType<typeof load>>['row'],
    configured: string[],
  ) {
    const answer = scheme.challenge?.(req, configured);
    if (!answer) return undefined;
    if ('ok' in answer) return reject(key, answer.reason, key, req.origin);
    if (answer.learnSecret !== undefined) {
      await prisma.provider.update({
        where: { key },
        data: learnedSecretColumns(key, row, answer.learnSecret, keyring, clock.now()),
      });
      deps.logger.info({ provider: key }, 'webhook handshake secret kept');
    }
    providerWebhooks.inc({ provider: key, outcome: 'handshake' });
    return { status: answer.status, ...pick(answer) };
  }

  return {
    /**
     * @throws BrokerError not_found (unknown provider or no webhook secret), rate_limited,
     *   invalid_token (missing, bad or stale signature), invalid_request (body not JSON),
     *   method_not_allowed (GET where the provider sends no challenge).
     */
    async receive(key: string, req: InboundRequest): Promise<WebhookAnswer> {
      const { row, spec, scheme } = await load(key, req.origin);
      await limit(key);
      providerWebhooks.inc({ provider: key, outcome: 'received' });
      const now = clock.now();
      const secrets = verificationSecrets(key, row, keyring, now);
      const challenged = await answerChallenge(key, scheme, req, row, secrets.configured);
      if (challenged) return challenged;
      if (req.method !== 'POST') throw methodNotAllowed(['POST']);
      const verdict = scheme.verify(
        req,
        scheme.learnsSecrets ? secrets.learned : secrets.configured,
        now,
      );
      if (!verdict.ok) return reject(key, verdict.reason, key, req.origin);
      providerWebhooks.inc({ provider: key, outcome: 'verified' });
      const parsed = parsePayload(scheme, req);
      if (!parsed) return reject(key, 'invalid_body', key, req.origin);
      const handshake = scheme.handshake?.(req, parsed.value, secrets.configured);
      if (handshake) {
        providerWebhooks.inc({ provider: key, outcome: 'handshake' });
        return handshake;
      }
      const deliveryId = scheme.deliveryId(req, parsed.value) ?? `sha256:${bodyHash(req.body)}`;
      const eventType = scheme.eventType(req, parsed.value);
      const connectionIds = await matchConnections(
        prisma,
        key,
        accountValues(spec.accounts ?? [], req, parsed.value),
      );
      await revocations(key, spec, eventType, req, parsed.value, connectionIds);
      const summary = {
        provider: key,
        delivery_id: deliveryId,
        event_type: eventType,
        connection_ids: connectionIds,
      };
      const fresh = await enqueue(key, deliveryId, { ...summary, payload: parsed.value }, summary);
      providerWebhooks.inc({ provider: key, outcome: fresh ? 'forwarded' : 'duplicate' });
      return scheme.name === 'discord' ? { status: 204 } : { status: 200, text: '' };
    },

    /** Counts a body refused before it reached `receive` (over the body limit). */
    tooLarge(key: string, origin: AuditOrigin): void {
      providerWebhookRejections.inc({ provider: 'unknown', reason: 'too_large' });
      deps.audit.record({
        actorType: 'system',
        actorId: 'provider-webhooks',
        action: 'provider_webhook.reject',
        connectionId: null,
        providerKey: key.length <= 64 ? key : null,
        outcome: 'too_large',
        origin,
      });
    },
  };
}

export type ProviderWebhooks = ReturnType<typeof createProviderWebhooks>;
