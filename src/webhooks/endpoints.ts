import { isIP } from 'node:net';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { invalidRequest, notFound } from '../errors/index.js';
import type { WebhookEndpoint } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import type { Keyring } from '../vault/keyring.js';
import { createdAtAfter, createdAtKey, createdAtOrder, keysetPage, type Page } from '../db/page.js';
import { assertHttpsInProduction } from '../net/https-only.js';
import { hostOf, isPrivateAddress } from './destination.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './outbox.js';
import { timestamp } from '../validate.js';
import { generateSecret } from './signing.js';

/** How long the secret replaced by a rotation keeps signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface EndpointInput {
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
}

/** An endpoint as the admin API shows it: never its secret. */
export const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .describe('event types sent to this endpoint; empty means all'),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  previous_secret_expires_at: timestamp
    .nullable()
    .describe('until then the secret replaced by the last rotation signs too'),
  created_at: timestamp,
  updated_at: timestamp,
});

export type EndpointView = z.output<typeof endpointSchema>;

/** An endpoint with its signing secret: the answer of creation and rotation only. */
export const endpointWithSecretSchema = endpointSchema.extend({
  secret: z.string().describe('whsec_<base64>; shown in this response only'),
});

/** The secrets an endpoint signs with right now: current first, then the one in overlap. */
export interface SigningSecrets {
  current: string;
  previous: string | undefined;
}

/** Shapes an endpoint row for responses. */
export function presentEndpoint(row: WebhookEndpoint): EndpointView {
  return {
    id: row.id,
    url: row.url,
    // Written only from bodies whose events were checked against WEBHOOK_EVENT_TYPES.
    events: row.events as WebhookEventType[],
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    previous_secret_expires_at: row.previousSecretExpiresAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** @example res.status(201).json(presentEndpointWithSecret(endpoint, secret)) */
export const presentEndpointWithSecret = (
  row: WebhookEndpoint,
  secret: string,
): z.output<typeof endpointWithSecretSchema> => ({ ...presentEndpoint(row), secret });

const ctx = (id: string, field: 'secret' | 'previous_secret') => ({
  table: 'webhook_endpoints',
  id,
  field,
});

/**
 * Decrypts the secrets an endpoint signs with at `now`.
 *
 * @example signingSecrets(row, keyring, new Date()) // { current: 'whsec_…', previous: undefined }
 */
export function signingSecrets(
  row: {
    id: string;
    keyId: string;
    secret: Uint8Array;
    previousSecret: Uint8Array | null;
    previousSecretExpiresAt: Date | null;
  },
  keyring: Keyring,
  now: Date,
): SigningSecrets {
  const inOverlap =
    row.previousSecret !== null &&
    row.previousSecretExpiresAt !== null &&
    row.previousSecretExpiresAt > now;
  return {
    current: keyring.decrypt(row.secret, row.keyId, ctx(row.id, 'secret')),
    previous:
      inOverlap && row.previousSecret
        ? keyring.decrypt(row.previousSecret, row.keyId, ctx(row.id, 'previous_secret'))
        : undefined,
  };
}

/**
 * Admin operations on webhook endpoints.
 *
 * @example
 * const endpoints = createEndpointService({ prisma, keyring, clock, allowPrivateUrls: false, production: true });
 * const { endpoint, secret } = await endpoints.create({ url, events: [], enabled: true });
 */
export function createEndpointService(deps: {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
  allowPrivateUrls: boolean;
  /** `NODE_ENV=production`: webhook URLs must be https. */
  production: boolean;
}) {
  const { prisma, keyring, clock } = deps;

  /**
   * @throws invalid_request for plain http in production, and for a literal loopback or
   *   private address when those are refused.
   */
  const checkUrl = (url: string) => {
    assertHttpsInProduction('url', url, deps.production);
    if (deps.allowPrivateUrls) return;
    const host = hostOf(new URL(url));
    if (
      host === 'localhost' ||
      host.endsWith('.localhost') ||
      (isIP(host) && isPrivateAddress(host))
    )
      throw invalidRequest('url: loopback and private-range destinations are not allowed');
  };

  const find = async (id: string) => {
    const row = await prisma.webhookEndpoint.findUnique({ where: { id } });
    if (!row) throw notFound('webhook endpoint');
    return row;
  };

  return {
    /** Registers an endpoint; the returned secret is never shown again. */
    async create(input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      checkUrl(input.url);
      const id = newId('whep');
      const secret = generateSecret();
      const endpoint = await prisma.webhookEndpoint.create({
        data: {
          id,
          url: input.url,
          events: input.events,
          enabled: input.enabled,
          keyId: keyring.currentKid,
          secret: keyring.encrypt(secret, ctx(id, 'secret')),
        },
      });
      return { endpoint, secret };
    },

    /** Endpoints, oldest first, `limit` at a time. */
    async list(query: {
      limit: number;
      cursor?: string | undefined;
    }): Promise<Page<WebhookEndpoint>> {
      const where = createdAtAfter(query.cursor, 'asc');
      return keysetPage(
        query.limit,
        (take) => prisma.webhookEndpoint.findMany({ where, orderBy: createdAtOrder('asc'), take }),
        createdAtKey,
      );
    },

    /** @throws not_found */
    get: find,

    /** Changes url, events or enabled; enabling again clears the failure record. */
    async update(id: string, patch: Partial<EndpointInput>): Promise<WebhookEndpoint> {
      await find(id);
      if (patch.url !== undefined) checkUrl(patch.url);
      return prisma.webhookEndpoint.update({
        where: { id },
        data: {
          ...(patch.url === undefined ? {} : { url: patch.url }),
          ...(patch.events === undefined ? {} : { events: patch.events }),
          ...(patch.enabled === undefined
            ? {}
            : patch.enabled
              ? { enabled: true, disabledReason: null, failingSince: null }
              : { enabled: false }),
        },
      });
    },

    /** @throws not_found */
    async remove(id: string): Promise<void> {
      const { count } = await prisma.webhookEndpoint.deleteMany({ where: { id } });
      if (count === 0) throw notFound('webhook endpoint');
    },

    /**
     * Replaces the secret. The replaced one keeps signing beside it for
     * ROTATION_OVERLAP_MS, so receivers can switch without dropping a message.
     */
    async rotateSecret(id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const row = await find(id);
      const { current } = signingSecrets(row, keyring, clock.now());
      const secret = generateSecret();
      // Both ciphertexts move to the current key: the row has one key_id.
      const endpoint = await prisma.webhookEndpoint.update({
        where: { id },
        data: {
          keyId: keyring.currentKid,
          secret: keyring.encrypt(secret, ctx(id, 'secret')),
          previousSecret: keyring.encrypt(current, ctx(id, 'previous_secret')),
          previousSecretExpiresAt: new Date(clock.now().getTime() + ROTATION_OVERLAP_MS),
        },
      });
      return { endpoint, secret };
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;
