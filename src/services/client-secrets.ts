import type { PrismaClient } from '../db/client.js';
import { notFound } from '../errors/index.js';
import { generateClientSecret } from './credentials.js';

/** How long a replaced client secret keeps working when the caller names no expiry. */
export const CLIENT_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** The answer of a rotation: the new secret (shown once) and until when the old one works. */
export interface RotatedClientSecret {
  clientId: string;
  clientSecret: string;
  /** null: the replaced secret stopped working at once. */
  previousExpiresAt: Date | null;
}

/**
 * Client-secret rotation with an overlap: a service holds its current secret and at most
 * one replaced one, accepted at `POST /oauth/token` until its expiry. Rotating again
 * replaces the older of the two.
 *
 * @example
 * const { clientSecret } = await clientSecrets.rotate(serviceId, {}); // old one: 24 h more
 */
export function createClientSecrets(deps: {
  prisma: PrismaClient;
  clock: { now(): Date };
  /** Called after a rotation, so this replica forgets what it cached about the service. */
  changed(serviceId: string): void;
}) {
  return {
    /**
     * Issues a new client secret. The replaced one works until `previousExpiresAt`
     * (default: 24 h from now); a time not in the future ends it at once.
     * @throws BrokerError not_found
     */
    async rotate(
      serviceId: string,
      opts: { previousExpiresAt?: Date | undefined },
    ): Promise<RotatedClientSecret> {
      const now = deps.clock.now();
      const until = opts.previousExpiresAt ?? new Date(now.getTime() + CLIENT_SECRET_OVERLAP_MS);
      const previousExpiresAt = until > now ? until : null;
      const secret = generateClientSecret();
      // One statement: the hash kept as "previous" is the one current at this instant.
      const rows = await deps.prisma.$queryRaw<{ client_id: string }[]>`UPDATE services SET
          previous_client_secret_hash = CASE WHEN ${previousExpiresAt}::timestamptz IS NULL
            THEN NULL ELSE client_secret_hash END,
          previous_client_secret_expires_at = ${previousExpiresAt}::timestamptz,
          client_secret_hash = ${secret.hash},
          updated_at = now()
        WHERE id = ${serviceId} RETURNING client_id`;
      const row = rows[0];
      if (!row) throw notFound('service');
      deps.changed(serviceId);
      return { clientId: row.client_id, clientSecret: secret.secret, previousExpiresAt };
    },
  };
}

export type ClientSecrets = ReturnType<typeof createClientSecrets>;
